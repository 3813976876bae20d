import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { egifDocuments, post } from '../support/people.ts';
import { activated, demoTrust, secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface AuditEvent {
  id: number;
  action: string;
  actor: { accountId: string | null; username: string | null; workstationId: string | null };
  subjectType: string;
  subjectId: string | null;
}
interface Page {
  items: AuditEvent[];
  nextCursor: string | null;
}

/**
 * DOMAIN.md: an RA manager sees the audit trail of their own organisations. Two trusts,
 * RWG (the demo) and RXX, each with its people, requests, desks and sign-ins: each trust's
 * manager reads its own events and nothing of the other's; a deployment-wide manager
 * reads everything.
 */
describe.each(testDrivers)('the audit trail, organisation by organisation (%s)', (driver) => {
  let t: TestApp;
  let rwg: Trust;
  let rxx: Trust;
  let everywhere: SignedIn;
  let rwgPerson: string;
  /** The person each trust registered and checked through the API. */
  const registeredBy = (trust: Trust) => (trust === rwg ? rwgPerson : trust.records.person);
  beforeAll(async () => {
    t = await createTestApp(driver);
    rwg = await demoTrust(t);
    rxx = await secondTrust(t);
    everywhere = await activated(t, 'ra.everywhere', 'ra_manager', null, 'Deployment Overseer');
    // The demo's people were seeded without events: RWG registers and checks one through
    // the API, as RXX did its person.
    const checker = await t.login('idchecker');
    const res = await post(t, checker, '/api/people', {
      givenName: 'Wendell',
      familyName: 'Westbrook',
      dateOfBirth: '1979-08-23',
      odsCodes: ['RWG01'],
    });
    expect(res.status, await res.clone().text()).toBe(201);
    rwgPerson = ((await res.json()) as { id: string }).id;
    const checked = await post(t, checker, `/api/people/${rwgPerson}/identity-check`, {
      documents: egifDocuments('W4400001'),
    });
    expect(checked.status, await checked.clone().text()).toBe(200);
  }, 120_000);
  afterAll(() => t.close());

  const page = async (who: SignedIn, query: string) => {
    const res = await t.app.request(`/api/audit?${query}`, { headers: who.headers });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };
  /** Every event the caller may read under `query`, paging to the end. */
  const trail = async (who: SignedIn, query = '') => {
    const events: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const got: Page = await page(
        who,
        `${query}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      events.push(...got.items);
      cursor = got.nextCursor;
    } while (cursor);
    return events;
  };

  const ownRecords = (trust: Trust) => [
    trust.records.person,
    trust.records.request,
    trust.records.workstation,
    trust.records.assignment,
    trust.records.position,
  ];

  it.each([
    ['RWG', () => [rwg, rxx] as const],
    ['RXX', () => [rxx, rwg] as const],
  ])("shows %s's manager their own events and none of the other trust's", async (_, pair) => {
    const [mine, theirs] = pair();
    const events = await trail(mine.manager);
    const text = JSON.stringify(events);
    for (const secret of theirs.records.secrets) expect(text).not.toContain(secret);
    for (const id of [...ownRecords(theirs), registeredBy(theirs)]) {
      expect(events.filter((e) => e.subjectId === id)).toEqual([]);
    }
    const otherCallers = new Set(theirs.callers.map((c) => c.username));
    expect(events.filter((e) => e.actor.username && otherCallers.has(e.actor.username))).toEqual(
      [],
    );
    expect(events.filter((e) => e.subjectType === 'system')).toEqual([]);

    const about = (action: string) =>
      events.filter((e) => e.action === action && e.subjectId === registeredBy(mine));
    expect(about('person.registered').length).toBeGreaterThan(0);
    expect(about('person.identity_checked').length).toBeGreaterThan(0);
    // Their own staff's sign-ins are theirs to read.
    const signedIn = new Set(
      events.filter((e) => e.action === 'auth.login').map((e) => e.actor.username),
    );
    for (const c of mine.callers) expect(signedIn, c.username).toContain(c.username);
  });

  it('keeps the filters and paging within the caller’s organisations', async () => {
    const manager = rwg.manager;
    const theirPerson = `subjectType=person&subjectId=${rxx.records.person}`;
    expect((await page(manager, theirPerson)).items).toEqual([]);
    expect((await page(rxx.manager, theirPerson)).items.length).toBeGreaterThan(0);
    const ours = (await page(manager, `subjectType=person&subjectId=${rwgPerson}`)).items;
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((e) => e.subjectId === rwgPerson)).toBe(true);

    expect((await page(manager, 'actor=rxx.manager')).items).toEqual([]);
    expect((await page(rxx.manager, 'actor=rxx.manager')).items.length).toBeGreaterThan(0);
    const registered = await trail(manager, 'action=person.registered');
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.map((e) => e.subjectId)).toContain(rwgPerson);
    expect(registered.map((e) => e.subjectId)).not.toContain(rxx.records.person);
    expect(registered.every((e) => e.action === 'person.registered')).toBe(true);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const got: Page = await page(manager, `limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...got.items.map((e) => e.id));
      cursor = got.nextCursor;
    } while (cursor);
    const whole = (await trail(manager)).map((e) => e.id);
    expect(seen).toEqual(whole);
    expect(whole).toEqual([...whole].sort((a, b) => b - a));
  });

  it('shows a deployment-wide manager every trust and the deployment’s own events', async () => {
    const events = await trail(everywhere);
    const subjects = new Set(events.map((e) => e.subjectId));
    expect(subjects).toContain(rwgPerson);
    expect(subjects).toContain(rxx.records.person);
    expect(events.map((e) => e.action)).toContain('demo.seeded');
    // Each trust's view is a part of the whole.
    const ids = new Set(events.map((e) => e.id));
    for (const trust of [rwg, rxx]) {
      const mine = await trail(trust.manager);
      expect(mine.length).toBeLessThan(events.length);
      expect(mine.filter((e) => !ids.has(e.id))).toEqual([]);
    }
  });
});
