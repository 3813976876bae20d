import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema/access.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPositionId, post, registerActivePerson } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const day = 86_400_000;

interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

/**
 * The dates an assignment may have: a direct one starts at most 30 days back and a year
 * ahead, a request from today to a year ahead, and an end date is on or after the start,
 * not passed, and within five years of the start. Today is 2026-11-25 on the test clock.
 */
describe.each(testDrivers)('assignment dates (%s)', (driver) => {
  let t: TestApp;
  let checker: SignedIn;
  let agent: SignedIn;
  let nurse: string;
  let people = 0;
  beforeAll(async () => {
    t = await createTestApp(driver);
    checker = await t.login('idchecker');
    agent = await t.login('agent');
    nurse = await demoPositionId(t, 'Staff Nurse, Acute Medical Unit');
  });
  afterAll(() => t.close());

  /** A fresh active person of RWG01, so each case starts from nothing held. */
  const someone = async () => {
    let n = ++people;
    let letters = '';
    for (; n > 0; n = Math.floor(n / 26)) letters = String.fromCharCode(97 + (n % 26)) + letters;
    return (
      await registerActivePerson(t, checker, { givenName: `Dated${letters}`, familyName: 'Person' })
    ).id;
  };
  const assign = async (dates: { startDate?: string; endDate?: string }) => {
    const personId = await someone();
    const res = await post(t, agent, `/api/people/${personId}/assignments`, {
      positionId: nurse,
      ...dates,
    });
    return { res, personId };
  };
  const refusal = async (res: Response) => {
    expect(res.status, await res.clone().text()).toBe(400);
    return ((await res.json()) as ErrorBody).error;
  };

  it('refuses a direct assignment starting 1800-01-01, naming the field and the dates allowed, and makes nothing', async () => {
    const { res, personId } = await assign({ startDate: '1800-01-01' });
    const error = await refusal(res);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe('1 thing needs fixing before this can be saved.');
    expect(error.details).toEqual([
      {
        field: 'startDate',
        message:
          'Enter a start date from 26 Oct 2026 to 25 Nov 2027: it cannot be more than 30 days ago',
      },
    ]);
    const made = await t.db.select().from(assignments).where(eq(assignments.personId, personId));
    expect(made).toEqual([]);
  });

  it.each([
    ['a start 30 days back', { startDate: '2026-10-26' }],
    ['a start a year ahead', { startDate: '2027-11-25' }],
    ['a one-day assignment', { startDate: '2026-11-25', endDate: '2026-11-25' }],
    ['an end five years after the start', { startDate: '2026-12-01', endDate: '2031-12-01' }],
    ['no dates (from today, no end)', {}],
  ])('accepts %s', async (_, dates) => {
    const { res } = await assign(dates);
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it.each([
    ['a start 31 days back', { startDate: '2026-10-25' }, 'startDate', /more than 30 days ago/],
    [
      'a start a year and a day ahead',
      { startDate: '2027-11-26' },
      'startDate',
      /^Enter a start date from 26 Oct 2026 to 25 Nov 2027: it cannot be more than a year ahead$/,
    ],
    [
      'an end before the start',
      { startDate: '2027-03-01', endDate: '2027-02-01' },
      'endDate',
      /^Enter an end date on or after the start date \(1 Mar 2027\)$/,
    ],
    [
      'an end already passed',
      { startDate: '2026-11-01', endDate: '2026-11-24' },
      'endDate',
      /^Enter an end date from today \(25 Nov 2026\): this one has passed$/,
    ],
    [
      'an end more than five years after the start',
      { startDate: '2026-12-01', endDate: '2031-12-02' },
      'endDate',
      /^Enter an end date by 1 Dec 2031, 5 years after the start, or leave it empty/,
    ],
  ])('refuses %s with a 400 naming the field', async (_, dates, field, message) => {
    const { res } = await assign(dates);
    const error = await refusal(res);
    expect(error.details).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect(error.message).toBe('1 thing needs fixing before this can be saved.');
  });

  const raise = async (dates: { startDate?: string; endDate?: string }, personId?: string) =>
    post(t, agent, '/api/requests', {
      kind: 'assign',
      personId: personId ?? (await someone()),
      positionId: nurse,
      ...dates,
    });

  it.each([
    [
      'starting 1800-01-01',
      { startDate: '1800-01-01' },
      'startDate',
      'Enter a start date from today (25 Nov 2026) to 25 Nov 2027: it cannot be in the past',
    ],
    [
      'starting yesterday',
      { startDate: '2026-11-24' },
      'startDate',
      'Enter a start date from today (25 Nov 2026) to 25 Nov 2027: it cannot be in the past',
    ],
    [
      'starting in two years',
      { startDate: '2028-11-25' },
      'startDate',
      'Enter a start date from 25 Nov 2026 to 25 Nov 2027: it cannot be more than a year ahead',
    ],
    [
      'ending ten years on',
      { endDate: '2036-11-25' },
      'endDate',
      'Enter an end date by 25 Nov 2031, 5 years after the start, or leave it empty for no end date',
    ],
  ])('refuses a request %s, naming the field', async (_, dates, field, message) => {
    const error = await refusal(await raise(dates));
    expect(error.details).toEqual([{ field, message }]);
  });

  it('approves a request whose start date passed while it waited, from the date asked', async () => {
    const personId = await someone();
    const raised = await raise({ startDate: '2026-11-26', endDate: '2027-05-31' }, personId);
    expect(raised.status, await raised.clone().text()).toBe(201);
    const { id } = (await raised.json()) as { id: string };
    t.clock.advance(40 * day);
    const approved = await post(t, await t.login('sponsor'), `/api/requests/${id}/approve`, {});
    expect(approved.status, await approved.clone().text()).toBe(200);
    const made = await t.db.select().from(assignments).where(eq(assignments.personId, personId));
    expect(made).toEqual([
      expect.objectContaining({ startDate: '2026-11-26', endDate: '2027-05-31', requestId: id }),
    ]);
    t.clock.advance(-40 * day);
  });
});
