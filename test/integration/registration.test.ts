import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations } from '../../db/schema/organisations.ts';
import { testDrivers } from '../support/databases.ts';
import {
  demoPersonId,
  demoPositionId,
  egifDocuments,
  post,
  registerActivePerson,
} from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

describe.each(testDrivers)('registering people (%s)', (driver) => {
  let t: TestApp;
  let checker: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    checker = await t.login('idchecker');
  });
  afterAll(() => t.close());

  const register = (body: Record<string, unknown>) =>
    post(t, checker, '/api/people', {
      givenName: 'Test',
      familyName: 'Person',
      dateOfBirth: '1990-01-01',
      odsCodes: ['RWG01'],
      ...body,
    });

  const errorOf = async (res: Response, status: number) => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()).error as {
      code: string;
      message: string;
      details?: { field: string; message: string }[];
    };
  };

  it('offers the open organisations the caller may register people in, and no others', async () => {
    await t.db
      .insert(organisations)
      .values({ odsCode: 'RYY', name: 'Elsewhere NHS Trust (test)' })
      .onConflictDoNothing();
    const res = await t.app.request('/api/registration-organisations', {
      headers: checker.headers,
    });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { odsCode: string; name: string }[] };
    expect(items.map((o) => o.odsCode)).toEqual(['RWG', 'RWG01', 'RWG02']);
    expect(items[1]?.name).toBe('Watford General Hospital');
    const lsa = await t.login('lsa');
    const refused = await t.app.request('/api/registration-organisations', {
      headers: lsa.headers,
    });
    expect(refused.status).toBe(403);
  });

  it('catches a second registration with the same passport, and audits the override', async () => {
    const first = await registerActivePerson(t, checker, {
      givenName: 'Olu',
      familyName: 'Adeyemi',
      passport: '533380006',
    });
    const again = await (
      await register({ givenName: 'Oluwaseun', familyName: 'Adeyemi-Smith' })
    ).json();
    const caught = await post(t, checker, `/api/people/${again.id}/identity-check`, {
      documents: egifDocuments('5333 80006'), // the same number, typed with a space
    });
    const error = await errorOf(caught, 409);
    expect(error.code).toBe('POSSIBLE_DUPLICATE');
    expect(error.message).toContain('Olu Adeyemi');
    expect(error.message).toContain(first.userId.replace(/(\d{4})(?=\d)/g, '$1 '));
    const still = await (
      await t.app.request(`/api/people/${again.id}`, { headers: checker.headers })
    ).json();
    expect(still.status).toBe('pending_id_check');

    const overridden = await post(t, checker, `/api/people/${again.id}/identity-check`, {
      documents: egifDocuments('533380006'),
      duplicateOverride: { reason: 'Twin brother: passports checked side by side' },
    });
    expect(overridden.status).toBe(200);
    const manager = await t.login('manager');
    const audit = await (
      await t.app.request(`/api/audit?subjectType=person&subjectId=${again.id}`, {
        headers: manager.headers,
      })
    ).json();
    const event = audit.items.find(
      (e: { action: string }) => e.action === 'person.identity_checked',
    );
    expect(event.summary.duplicateOverride).toBe('Twin brother: passports checked side by side');
    expect(event.summary.possibleDuplicates).toEqual([first.id]);
    expect(JSON.stringify(audit)).not.toContain('533380006');
  });

  it('stops a registration with the same names and date of birth, unless overridden', async () => {
    const dup = await register({
      givenName: 'Priya',
      familyName: 'PATEL',
      dateOfBirth: '1990-02-03',
    });
    const error = await errorOf(dup, 409);
    expect(error.code).toBe('POSSIBLE_DUPLICATE');
    expect(error.message).toMatch(/Priya Patel \(\d{4} \d{4} \d{4}, active\)/);
    const overridden = await register({
      givenName: 'Priya',
      familyName: 'Patel',
      dateOfBirth: '1990-02-03',
      duplicateOverride: { reason: 'Different person: other NI number' },
    });
    expect(overridden.status).toBe(201);
  });

  it('keeps document numbers only as a keyed hash', async () => {
    const person = await registerActivePerson(t, checker, {
      givenName: 'Hash',
      familyName: 'Check',
      passport: 'HASHME123',
    });
    const rows = await t.db.query.identityDocuments.findMany();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(JSON.stringify(row)).not.toMatch(/HASHME123/);
    const page = await (
      await t.app.request(`/api/people/${person.id}`, { headers: checker.headers })
    ).json();
    expect(page.identityCheck.documents).toHaveLength(3);
    expect(JSON.stringify(page)).not.toMatch(/HASHME123|numberHash/);
  });

  it.each([
    ['two documents', egifDocuments().slice(0, 2), /^Give three documents: 2 were given$/],
    [
      'no photo ID',
      [
        egifDocuments()[1],
        egifDocuments()[2],
        { type: 'bank_statement', issuingCountry: 'GB', number: 'BS-1' },
      ],
      /photo ID/,
    ],
    [
      'no proof of address',
      [
        egifDocuments()[0],
        egifDocuments()[2],
        { type: 'p45_p60', issuingCountry: 'GB', number: 'P60-1' },
      ],
      /proof of address/,
    ],
    [
      'an expired passport',
      [{ ...egifDocuments()[0], expiresOn: '2020-01-01' }, ...egifDocuments().slice(1)],
      /^This passport expired on 1 Jan 2020: give one in date$/,
    ],
  ])('refuses an identity check with %s and changes nothing', async (_, documents, message) => {
    const { id } = await (
      await register({ givenName: `Egif${Math.random().toString(36).slice(2, 7)}` })
    ).json();
    const error = await errorOf(
      await post(t, checker, `/api/people/${id}/identity-check`, { documents }),
      400,
    );
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^1 thing needs fixing before this can be saved\.$/);
    expect(error.details?.map((d) => d.message)).toEqual([expect.stringMatching(message)]);
    const person = await (
      await t.app.request(`/api/people/${id}`, { headers: checker.headers })
    ).json();
    expect(person.status).toBe('pending_id_check');
    expect(person.identityCheck).toBeNull();
  });

  it.each([
    ['an invalid ODS code', { odsCodes: ['rwg01'] }, 'odsCodes.0', /ODS code/],
    [
      'a date of birth in the future',
      { dateOfBirth: '2099-01-01' },
      'dateOfBirth',
      /^Enter a date of birth in the past$/,
    ],
    ['a date that is not a date', { dateOfBirth: '01/02/1990' }, 'dateOfBirth', /YYYY-MM-DD/],
    [
      'an unknown organisation',
      { odsCodes: ['ZZZ99'] },
      'odsCodes.0',
      /^No organisation has ODS code ZZZ99$/,
    ],
  ])('refuses %s, naming the field', async (_, body, field, message) => {
    const error = await errorOf(await register(body), 400);
    expect(error.code).toBe('VALIDATION');
    expect(error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field, message: expect.stringMatching(message) }),
      ]),
    );
  });

  it('refuses a malformed UUID', async () => {
    const error = await errorOf(
      await t.app.request('/api/people/not-a-uuid', { headers: checker.headers }),
      400,
    );
    expect(error.details?.[0]).toMatchObject({ field: 'id' });
  });

  it('refuses an end date before the start, and a position of another organisation', async () => {
    const agent = await t.login('agent');
    const priya = await demoPersonId(t, 'Priya');
    const nurse = await demoPositionId(t, 'Staff Nurse, Acute Medical Unit');
    const backwards = await post(t, agent, `/api/people/${priya}/assignments`, {
      positionId: nurse,
      startDate: '2027-03-01',
      endDate: '2027-02-01',
    });
    expect((await errorOf(backwards, 400)).details).toEqual([
      { field: 'endDate', message: 'Enter an end date on or after the start date (1 Mar 2027)' },
    ]);
    const elsewhere = await post(t, agent, `/api/people/${priya}/assignments`, {
      positionId: await demoPositionId(t, 'Outpatient Receptionist'),
    });
    expect((await errorOf(elsewhere, 400)).details).toEqual([
      { field: 'positionId', message: expect.stringMatching(/belongs to RWG02/) },
    ]);
    const person = await (
      await t.app.request(`/api/people/${priya}`, { headers: agent.headers })
    ).json();
    expect(person.assignments).toEqual([]);
  });

  it('refuses a position for someone whose identity is not checked', async () => {
    const agent = await t.login('agent');
    const { id } = await (await register({ givenName: 'Pending' })).json();
    const res = await post(t, agent, `/api/people/${id}/assignments`, {
      positionId: await demoPositionId(t, 'Ward Clerk'),
    });
    expect((await errorOf(res, 409)).message).toMatch(/pending id check/);
  });
});

describe.each(testDrivers)('finding people (%s)', (driver) => {
  let t: TestApp;
  /** An RA agent of the trust: finds everyone in it (scope has its own tests). */
  let searcher: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    searcher = await t.login('agent');
  });
  afterAll(() => t.close());

  const find = async (q: string, extra = '') => {
    const res = await t.app.request(`/api/people?q=${encodeURIComponent(q)}${extra}`, {
      headers: searcher.headers,
    });
    expect(res.status).toBe(200);
    return res.json() as Promise<{
      items: { givenName: string; familyName: string; userId: string }[];
      nextCursor: string | null;
    }>;
  };

  it('finds by name prefix, ignoring case and accents', async () => {
    expect((await find('zoe')).items.map((p) => p.familyName)).toEqual(['Ó Briain']);
    expect((await find('o bri')).items.map((p) => p.givenName)).toEqual(['Zoë']);
    expect((await find('PAT')).items.map((p) => p.givenName)).toEqual(['Priya']);
    expect((await find('priya pat')).items).toHaveLength(1);
    expect((await find('patel priya')).items).toHaveLength(1);
    expect((await find('100%')).items).toEqual([]);
  });

  it('finds by user ID, with or without spaces, and by email', async () => {
    const [priya] = (await find('priya')).items;
    const grouped = (priya?.userId ?? '').replace(/(\d{4})(?=\d)/g, '$1 ');
    expect((await find(grouped)).items.map((p) => p.givenName)).toEqual(['Priya']);
    expect((await find('PRIYA.PATEL@demo.nhs.example')).items.map((p) => p.givenName)).toEqual([
      'Priya',
    ]);
  });

  it('pages through everyone in name order without repeats', async () => {
    const all = await find('', '&limit=100');
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await find('', `&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      names.push(...page.items.map((p) => `${p.familyName} ${p.givenName}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(all.items.map((p) => `${p.familyName} ${p.givenName}`));
    expect(names.length).toBe(10);
  });

  it('refuses a cursor it did not give out', async () => {
    const res = await t.app.request('/api/people?q=&cursor=bm9wZQ', { headers: searcher.headers });
    expect(res.status).toBe(400);
  });
});
