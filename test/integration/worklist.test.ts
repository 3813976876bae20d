import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId, post } from '../support/people.ts';
import { demoTrust, secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Section {
  kind: 'requestsToDecide' | 'identityChecks' | 'cardFlags';
  count: number;
  items: {
    id: string;
    name?: string;
    person?: { name: string } | null;
    position?: { name: string };
    kind?: string;
    summary?: string;
  }[];
}

/**
 * GET /api/worklist: what waits for each role, in their organisations only. The demo's
 * morning leaves Sky's request with the sponsor, seven card flags and Amara Okafor waiting for
 * her identity check; each trust registers someone else who waits for one.
 */
describe.each(testDrivers)('the worklist of each role (%s)', (driver) => {
  let t: TestApp;
  let rwg: Trust;
  let rxx: Trust;
  const as = async (username: string) => t.login(username);
  beforeAll(async () => {
    t = await createTestApp(driver);
    rwg = await demoTrust(t);
    rxx = await secondTrust(t);
    for (const [checker, person, ods] of [
      [await as('idchecker'), { givenName: 'Wendell', familyName: 'Waitinghall' }, 'RWG01'],
      [
        rxx.callers.find((c) => c.role === 'id_checker')?.who,
        { givenName: 'Yusuf', familyName: 'Yetunchecked' },
        'RXX01',
      ],
    ] as const) {
      if (!checker) throw new Error('no ID checker');
      const res = await post(t, checker, '/api/people', {
        ...person,
        dateOfBirth: '1988-01-19',
        odsCodes: [ods],
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  }, 120_000);
  afterAll(() => t.close());

  const worklist = async (who: SignedIn) => {
    const res = await t.app.request('/api/worklist', { headers: who.headers });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { sections: Section[] }).sections;
  };
  const counts = (sections: Section[]) =>
    Object.fromEntries(sections.map((s) => [s.kind, s.count]));
  const section = (sections: Section[], kind: Section['kind']) => {
    const found = sections.find((s) => s.kind === kind);
    if (!found) throw new Error(`no ${kind} section`);
    return found;
  };

  it('gives RA staff the requests to decide, the identity checks and the card flags', async () => {
    for (const username of ['manager', 'advanced', 'agent']) {
      const sections = await worklist(await as(username));
      expect(
        sections.map((s) => s.kind),
        username,
      ).toEqual(['requestsToDecide', 'identityChecks', 'cardFlags']);
      expect(counts(sections), username).toEqual({
        requestsToDecide: 1,
        identityChecks: 2,
        cardFlags: 7,
      });
      const [request] = section(sections, 'requestsToDecide').items;
      expect(request).toMatchObject({
        kind: 'assign',
        person: { name: 'Sky Staff' },
        position: { name: 'Staff Nurse, Acute Medical Unit' },
        raisedBy: 'Sky Staff',
        claimedBy: null,
        claimedByYou: false,
      });
      expect(section(sections, 'identityChecks').items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'Wendell Waitinghall', odsCodes: ['RWG01'] }),
          expect.objectContaining({ name: 'Amara Okafor', odsCodes: ['RWG01'] }),
        ]),
      );
      // The first five, most urgent first: the blocked PIN leads.
      const flags = section(sections, 'cardFlags').items;
      expect(flags).toHaveLength(5);
      expect(flags[0]).toMatchObject({ kind: 'pin_blocked', person: { name: 'Zoë Ó Briain' } });
    }
  });

  it('gives the ID checker the people waiting for their identity check, and nothing else', async () => {
    const sections = await worklist(await as('idchecker'));
    expect(counts(sections)).toEqual({ identityChecks: 2 });
  });

  it('gives the sponsor their organisation’s requests and card flags', async () => {
    const sections = await worklist(await as('sponsor'));
    expect(counts(sections)).toEqual({ requestsToDecide: 1, cardFlags: 4 });
    const holders = section(sections, 'cardFlags').items.map((f) => f.person?.name);
    expect(new Set(holders)).toEqual(new Set(['Zoë Ó Briain', 'Priya Patel', 'Sky Staff']));
  });

  it('gives the LSA the card flags of their site, and a card holder nothing to do', async () => {
    const lsa = await worklist(await as('lsa'));
    expect(counts(lsa)).toEqual({ cardFlags: 1 });
    expect(section(lsa, 'cardFlags').items[0]).toMatchObject({
      kind: 'certificate_expired',
      person: { name: 'Tomasz Nowak' },
    });
    expect(await worklist(await as('staff'))).toEqual([]);
  });

  it('leaves out a request the caller raised: someone else must decide it', async () => {
    const sponsor = await as('sponsor');
    const res = await post(t, sponsor, '/api/requests', {
      personId: await demoPersonId(t, 'Priya'),
      positionId: await demoPositionId(t, 'Ward Clerk'),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(counts(await worklist(sponsor)).requestsToDecide).toBe(1);
    expect(counts(await worklist(await as('manager'))).requestsToDecide).toBe(2);
  });

  it('shows each trust only its own work', async () => {
    const theirs = await worklist(rxx.manager);
    expect(counts(theirs)).toEqual({ requestsToDecide: 1, identityChecks: 1, cardFlags: 2 });
    const text = JSON.stringify(theirs);
    for (const secret of rwg.records.secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain('Wendell');
    expect(JSON.stringify(await worklist(rwg.manager))).not.toContain('Yusuf');
  });
});
