import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId, post } from '../support/people.ts';
import { activated, secondTrust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface RequestView {
  id: string;
  status: string;
  actions: string[];
  position: {
    name: string;
    jobRoles: { code: string; name: string }[];
    activities: { code: string; name: string }[];
    systems: string[];
  };
}

describe.each(testDrivers)('what a request view lets its reader do (%s)', (driver) => {
  let t: TestApp;
  let consultant: string;
  beforeAll(async () => {
    t = await createTestApp(driver);
    consultant = await demoPositionId(t, 'Consultant Physician');
  });
  afterAll(() => t.close());

  const raise = async (who: SignedIn, personGiven: string, positionId: string) => {
    const res = await post(t, who, '/api/requests', {
      personId: await demoPersonId(t, personGiven),
      positionId,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as RequestView;
  };
  const read = async (username: string, id: string) => {
    const who = await t.login(username);
    const res = await t.app.request(`/api/requests/${id}`, { headers: who.headers });
    expect(res.status, `${username}: ${await res.clone().text()}`).toBe(200);
    return (await res.json()) as RequestView;
  };
  const inbox = async (username: string) => {
    const who = await t.login(username);
    const res = await t.app.request('/api/requests?view=inbox&status=open', {
      headers: who.headers,
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: RequestView[] }).items;
  };

  it('offers Decide to deciders in scope, never on their own request or one held by another', async () => {
    // The sponsor asks for a position for themselves: someone else must decide it.
    const own = await raise(await t.login('sponsor'), 'Sam', consultant);
    expect(own.actions).toEqual(['withdraw']);
    expect((await inbox('sponsor')).find((r) => r.id === own.id)?.actions).toEqual(['withdraw']);
    expect((await read('manager', own.id)).actions).toEqual(['decide']);

    // The agent raises one for Priya: the sponsor and the manager decide it, the agent not.
    const priyas = await raise(await t.login('agent'), 'Priya', consultant);
    expect(priyas.actions).toEqual(['withdraw']);
    expect((await read('sponsor', priyas.id)).actions).toEqual(['decide']);
    expect((await inbox('manager')).find((r) => r.id === priyas.id)?.actions).toEqual(['decide']);

    // Once the sponsor opens it, it is theirs for 15 minutes: the manager's Decide goes.
    expect(
      (await post(t, await t.login('sponsor'), `/api/requests/${priyas.id}/claim`)).status,
    ).toBe(200);
    expect((await read('sponsor', priyas.id)).actions).toEqual(['decide']);
    expect((await read('manager', priyas.id)).actions).toEqual([]);
    t.clock.advance(16 * 60_000);
    expect((await read('manager', priyas.id)).actions).toEqual(['decide']);

    // Decided, nothing is left to do.
    expect(
      (
        await post(t, await t.login('manager'), `/api/requests/${priyas.id}/reject`, {
          reason: 'Not a consultant',
        })
      ).status,
    ).toBe(200);
    expect((await read('agent', priyas.id)).actions).toEqual([]);
    expect((await read('sponsor', priyas.id)).actions).toEqual([]);
  });

  it('names what the position grants: job roles, activities and clinical systems', async () => {
    const request = await raise(await t.login('agent'), 'Zoë', consultant);
    expect(request.position).toMatchObject({
      name: 'Consultant Physician',
      jobRoles: [{ code: 'R8000', name: 'Clinical Practitioner Access Role' }],
      systems: ['systmone', 'ers', 'pacs', 'sus'],
    });
    expect(request.position.activities.map((a) => a.code)).toEqual([
      'B0083',
      'B0380',
      'B1101',
      'B1103',
    ]);
    expect(request.position.activities.find((a) => a.code === 'B0380')?.name).toBe(
      'Perform Detailed Health Record',
    );
  });

  it('lets whoever raised a request withdraw it, and nobody else', async () => {
    const staff = await t.login('staff');
    const mine = await raise(staff, 'Sky', consultant);
    expect(mine.actions).toEqual(['withdraw']);

    const sponsor = await t.login('sponsor');
    const refused = await post(t, sponsor, `/api/requests/${mine.id}/withdraw`, {});
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.message).toMatch(/Only whoever raised/);

    const withdrawn = await post(t, staff, `/api/requests/${mine.id}/withdraw`, {
      note: 'Asked for the wrong post',
    });
    expect(withdrawn.status, await withdrawn.clone().text()).toBe(200);
    expect(await withdrawn.json()).toMatchObject({
      status: 'withdrawn',
      decisionReason: 'Asked for the wrong post',
      decidedBy: { username: 'staff' },
      actions: [],
    });
    const again = await post(t, staff, `/api/requests/${mine.id}/withdraw`, {});
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('ALREADY_DECIDED');
    // Withdrawn, it can be asked for again.
    expect((await raise(staff, 'Sky', consultant)).status).toBe('open');
  });
});

describe.each(testDrivers)('the positions a person may ask for (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
    await secondTrust(t);
  });
  afterAll(() => t.close());

  const requestable = async (who: SignedIn) => {
    const res = await t.app.request('/api/me/requestable-positions', { headers: who.headers });
    expect(res.status, await res.clone().text()).toBe(200);
    const { items } = (await res.json()) as {
      items: { name: string; odsCode: string; availability: string }[];
    };
    return Object.fromEntries(items.map((p) => [p.name, p.availability]));
  };
  const rwg01 = {
    'Consultant Physician': 'requestable',
    'Staff Nurse, Acute Medical Unit': 'requestable',
    'Ward Clerk': 'requestable',
  };

  it('gives each role the positions of their own organisations, never another trust’s', async () => {
    // Staff and the sponsor work for the site RWG01; the LSA for RWG02; RA staff for the trust.
    expect(await requestable(await t.login('staff'))).toEqual(rwg01);
    expect(await requestable(await t.login('sponsor'))).toEqual(rwg01);
    expect(await requestable(await t.login('lsa'))).toEqual({
      'Outpatient Receptionist': 'requestable',
    });
    const trustWide = { ...rwg01, 'Outpatient Receptionist': 'requestable' };
    for (const username of ['idchecker', 'agent', 'advanced', 'manager']) {
      expect(await requestable(await t.login(username)), username).toEqual(trustWide);
    }
  });

  it('marks the positions held and those already asked for', async () => {
    const staff = await t.login('staff');
    const sky = await demoPersonId(t, 'Sky');
    const agent = await t.login('agent');
    const assigned = await post(t, agent, `/api/people/${sky}/assignments`, {
      positionId: await demoPositionId(t, 'Ward Clerk'),
    });
    expect(assigned.status, await assigned.clone().text()).toBe(201);
    const asked = await post(t, staff, '/api/requests', {
      personId: sky,
      positionId: await demoPositionId(t, 'Consultant Physician'),
    });
    expect(asked.status).toBe(201);
    expect(await requestable(staff)).toEqual({
      'Consultant Physician': 'requested',
      'Staff Nurse, Acute Medical Unit': 'requestable',
      'Ward Clerk': 'held',
    });
  });

  it('answers an account with no person record that it has none', async () => {
    const bare = await activated(t, 'no.person', 'staff', null);
    const res = await t.app.request('/api/me/requestable-positions', { headers: bare.headers });
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toBe('Your account is not linked to a person record.');
  });
});
