import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../server/services/accounts/create-account.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, post } from '../support/people.ts';
import { demoTrust, secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface PersonRef {
  id: string;
  name: string | null;
  userId: string | null;
}
interface AuditEvent {
  id: number;
  action: string;
  category: string;
  actor: {
    username: string | null;
    name: string | null;
    personId: string | null;
    workstationName: string | null;
  };
  subjectType: string;
  subjectId: string | null;
  about: {
    person: PersonRef | null;
    position: { id: string; name: string | null } | null;
    request: { id: string; kind: string | null } | null;
    workstation: { id: string; name: string | null } | null;
    card: { serial: string; readable: boolean } | null;
  };
  summary: Record<string, unknown>;
  detailsWithheld: boolean;
}

/**
 * The audit trail names the people, positions, desks and cards its events are about, so the
 * page can write "Sam Sponsor approved Sky Staff's request for Ward Clerk"; each name only to
 * a caller who may read that record, and the events' categories and filters in a reader's words.
 */
describe.each(testDrivers)('names in the audit trail (%s)', (driver) => {
  let t: TestApp;
  let rwg: Trust;
  let rxx: Trust;
  let twoTrusts: SignedIn;
  let quentin: string;
  beforeAll(async () => {
    t = await createTestApp(driver);
    rwg = await demoTrust(t);
    rxx = await secondTrust(t);
    // An RA agent of both trusts registers someone at RXX: RWG's manager sees their own agent
    // act, but the person is RXX's.
    const { activation } = await createAccount(t.ctx, {
      username: 'agent.both',
      displayName: 'Test BOTHAGENT',
      roles: [
        { role: 'ra_agent', odsCode: 'RWG' },
        { role: 'ra_agent', odsCode: 'RXX' },
      ],
    });
    const activated = await t.app.request('/api/auth/activate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'agent.both',
        code: activation.code,
        password: 'correct horse battery',
      }),
    });
    expect(activated.status).toBe(204);
    twoTrusts = await t.login('agent.both', 'correct horse battery');
    const res = await post(t, twoTrusts, '/api/people', {
      givenName: 'Quentin',
      familyName: 'Quillfeather',
      dateOfBirth: '1971-09-14',
      odsCodes: ['RXX01'],
    });
    expect(res.status, await res.clone().text()).toBe(201);
    quentin = ((await res.json()) as { id: string }).id;
  }, 120_000);
  afterAll(() => t.close());

  const trail = async (who: SignedIn, query = '') => {
    const events: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.app.request(
        `/api/audit?limit=200${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { headers: who.headers },
      );
      expect(res.status, await res.clone().text()).toBe(200);
      const page = (await res.json()) as { items: AuditEvent[]; nextCursor: string | null };
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return events;
  };

  it('names the people, positions, desks and cards of the demo’s events', async () => {
    const events = await trail(rwg.manager);
    const sky = await demoPersonId(t, 'Sky');
    const raised = events.find((e) => e.action === 'request.raised');
    expect(raised).toMatchObject({
      category: 'access',
      actor: { username: 'staff', name: 'Sky Staff', personId: sky },
      about: {
        person: {
          id: sky,
          name: 'Sky Staff',
          userId: expect.stringMatching(/^\d{4} \d{4} \d{4}$/),
        },
        position: { name: 'Staff Nurse, Acute Medical Unit' },
        request: { kind: 'assign' },
      },
      detailsWithheld: false,
    });
    const assigned = events.find(
      (e) => e.action === 'assignment.created' && e.about.person?.name === 'Priya Patel',
    );
    expect(assigned).toMatchObject({
      actor: { name: 'Sam Sponsor' },
      about: { position: { name: 'Staff Nurse, Acute Medical Unit' } },
    });
    const flagged = events.filter((e) => e.action === 'card.flag_raised');
    expect(flagged.length).toBeGreaterThan(0);
    for (const e of flagged) {
      expect(e.category).toBe('cards');
      expect(e.actor.workstationName).toBe('RA desk 1 (demo)');
    }
    const zoes = flagged.find((e) => e.about.person?.name === 'Zoë Ó Briain');
    expect(zoes?.about.card).toEqual({ serial: zoes?.subjectId, readable: true });
    // The card nobody here issued has no holder and no page.
    expect(flagged.some((e) => e.about.person === null && e.about.card?.readable === false)).toBe(
      true,
    );
    const enrolled = events.find((e) => e.action === 'workstation.enrolled');
    expect(enrolled).toMatchObject({
      category: 'workstations',
      about: { workstation: { name: 'RA desk 1 (demo)' } },
    });
    const signIns = events.filter((e) => e.action === 'auth.login');
    expect(signIns.length).toBeGreaterThan(0);
    expect(signIns.every((e) => e.category === 'sign-in')).toBe(true);
  });

  it('never names someone outside the caller’s organisations, nor shows their details', async () => {
    const mine = await trail(rwg.manager);
    const registered = mine.find(
      (e) => e.action === 'person.registered' && e.subjectId === quentin,
    );
    // Their own agent acted, so the event is theirs to read; the person is RXX's.
    expect(registered).toMatchObject({
      actor: { username: 'agent.both', name: 'Test BOTHAGENT' },
      about: { person: { id: quentin, name: null, userId: null } },
      summary: {},
      detailsWithheld: true,
    });
    expect(JSON.stringify(mine)).not.toContain('Quillfeather');
    for (const secret of rxx.records.secrets) expect(JSON.stringify(mine)).not.toContain(secret);

    const theirs = (await trail(rxx.manager)).find(
      (e) => e.action === 'person.registered' && e.subjectId === quentin,
    );
    expect(theirs).toMatchObject({
      about: { person: { id: quentin, name: 'Quentin Quillfeather' } },
      summary: { name: 'Quentin Quillfeather' },
      detailsWithheld: false,
    });
    // And RXX's manager does not read the names of RWG's people.
    const rxxTrail = JSON.stringify(await trail(rxx.manager));
    for (const secret of rwg.records.secrets) expect(rxxTrail).not.toContain(secret);
  });

  it('filters by category and by person, within the caller’s organisations', async () => {
    const cardsOnly = await trail(rwg.manager, '&category=cards');
    expect(cardsOnly.length).toBeGreaterThan(0);
    expect(new Set(cardsOnly.map((e) => e.category))).toEqual(new Set(['cards']));
    const people = await trail(rwg.manager, '&category=people');
    // The trust's fixtures also check an ESR import and a card list (secondTrust, demoTrust):
    // imports are people's records in the trail.
    expect(new Set(people.map((e) => e.action))).toEqual(
      new Set(['person.registered', 'person.identity_checked', 'import.checked']),
    );

    const sky = await demoPersonId(t, 'Sky');
    const skys = await trail(rwg.manager, `&person=${sky}`);
    const actions = new Set(skys.map((e) => e.action));
    // What happened to Sky, and what Sky did: checked, given a position, asked for another,
    // signed in, and the reader's flags on Sky's card.
    for (const action of [
      'person.identity_checked',
      'assignment.created',
      'request.raised',
      'auth.login',
      'card.flag_raised',
    ]) {
      expect(actions, action).toContain(action);
    }
    for (const e of skys) {
      const involved =
        e.about.person?.id === sky || e.actor.personId === sky || e.actor.username === 'staff';
      expect(involved, e.action).toBe(true);
    }
    // Another trust's person: nothing, as for anyone unknown.
    expect(await trail(rwg.manager, `&person=${rxx.records.person}`)).toEqual([]);
    const bad = await t.app.request('/api/audit?category=everything', {
      headers: rwg.manager.headers,
    });
    expect(bad.status).toBe(400);
  });
});
