import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId, post } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

describe.each(testDrivers)('separation of duties (%s)', (driver) => {
  let t: TestApp;
  let agent: SignedIn;
  let sponsor: SignedIn;
  let nurse: string;
  let clerk: string;
  let consultant: string;
  beforeAll(async () => {
    t = await createTestApp(driver);
    agent = await t.login('agent');
    sponsor = await t.login('sponsor');
    nurse = await demoPositionId(t, 'Staff Nurse, Acute Medical Unit');
    clerk = await demoPositionId(t, 'Ward Clerk');
    consultant = await demoPositionId(t, 'Consultant Physician');
  });
  afterAll(() => t.close());

  const raise = async (who: SignedIn, personGiven: string, positionId: string) => {
    const res = await post(t, who, '/api/requests', {
      personId: await demoPersonId(t, personGiven),
      positionId,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()).id as string;
  };

  const expectRefused = async (res: Response, status: number, code: string, words: RegExp) => {
    expect(res.status).toBe(status);
    const { error } = await res.json();
    expect(error.code).toBe(code);
    expect(error.message).toMatch(words);
  };

  it('refuses to let you decide a request you raised', async () => {
    const id = await raise(sponsor, 'Priya', consultant);
    await expectRefused(
      await post(t, sponsor, `/api/requests/${id}/claim`),
      403,
      'SEPARATION_OF_DUTIES',
      /you raised/i,
    );
    await expectRefused(
      await post(t, sponsor, `/api/requests/${id}/approve`, {}),
      403,
      'SEPARATION_OF_DUTIES',
      /you raised/i,
    );
  });

  it('refuses to let you approve a request that is for you', async () => {
    const id = await raise(agent, 'Sam', consultant); // Sam Sponsor's own person record
    await expectRefused(
      await post(t, sponsor, `/api/requests/${id}/approve`, {}),
      403,
      'SEPARATION_OF_DUTIES',
      /for you/i,
    );
    const after = await (
      await t.app.request(`/api/requests/${id}`, { headers: agent.headers })
    ).json();
    expect(after.status).toBe('open');
  });

  it('hides another organisation’s requests from a sponsor', async () => {
    const id = await raise(agent, 'Tomasz', await demoPositionId(t, 'Outpatient Receptionist'));
    await expectRefused(
      await post(t, sponsor, `/api/requests/${id}/approve`, {}),
      404,
      'NOT_FOUND',
      /no such request/i,
    );
    await expectRefused(
      await t.app.request(`/api/requests/${id}`, { headers: sponsor.headers }),
      404,
      'NOT_FOUND',
      /no such request/i,
    );
    const inbox = await (
      await t.app.request('/api/requests?view=inbox', { headers: sponsor.headers })
    ).json();
    expect(inbox.items.map((r: { id: string }) => r.id)).not.toContain(id);
  });

  it('holds a claimed request for its reviewer for 15 minutes, naming them to others', async () => {
    const id = await raise(agent, 'Priya', nurse);
    expect((await post(t, sponsor, `/api/requests/${id}/claim`)).status).toBe(200);
    const advanced = await t.login('advanced');
    await expectRefused(
      await post(t, advanced, `/api/requests/${id}/approve`, {}),
      409,
      'CLAIMED_BY_OTHER',
      /Sam Sponsor/,
    );
    await expectRefused(
      await post(t, advanced, `/api/requests/${id}/claim`),
      409,
      'CLAIMED_BY_OTHER',
      /Sam Sponsor/,
    );
    t.clock.advance(15 * 60_000 + 1000);
    expect((await post(t, advanced, `/api/requests/${id}/claim`)).status).toBe(200);
    expect((await post(t, advanced, `/api/requests/${id}/approve`, {})).status).toBe(200);
    await expectRefused(
      await post(t, sponsor, `/api/requests/${id}/reject`, { reason: 'too late' }),
      409,
      'ALREADY_DECIDED',
      /already been approved/,
    );
  });

  it('refuses to let anyone give themselves a position', async () => {
    const me = await demoPersonId(t, 'Alex'); // Alex Agent
    const res = await post(t, agent, `/api/people/${me}/assignments`, { positionId: clerk });
    await expectRefused(res, 403, 'SEPARATION_OF_DUTIES', /yourself/);
  });

  it('lets a sponsor assign only positions marked assignable, in their organisation', async () => {
    const sky = await demoPersonId(t, 'Sky');
    await expectRefused(
      await post(t, sponsor, `/api/people/${sky}/assignments`, { positionId: consultant }),
      403,
      'FORBIDDEN',
      /not marked assignable/,
    );
    expect(
      (await post(t, sponsor, `/api/people/${sky}/assignments`, { positionId: clerk })).status,
    ).toBe(201);
    // A person of the sister site RWG02 is not the RWG01 sponsor's to see: absent, as for nobody.
    const tomasz = await demoPersonId(t, 'Tomasz');
    await expectRefused(
      await post(t, sponsor, `/api/people/${tomasz}/assignments`, {
        positionId: await demoPositionId(t, 'Outpatient Receptionist'),
      }),
      404,
      'NOT_FOUND',
      /^There is no such person\.$/,
    );
  });

  it('lets staff raise requests for themselves only', async () => {
    const staff = await t.login('staff');
    const res = await post(t, staff, '/api/requests', {
      personId: await demoPersonId(t, 'Priya'),
      positionId: nurse,
    });
    await expectRefused(res, 403, 'FORBIDDEN', /only for yourself/);
    const own = await post(t, staff, '/api/requests', {
      personId: await demoPersonId(t, 'Sky'),
      positionId: nurse,
    });
    expect(own.status).toBe(201);
    await expectRefused(
      await post(t, staff, `/api/requests/${(await own.json()).id}/approve`, {}),
      403,
      'FORBIDDEN',
      /requests:decide/,
    );
  });

  it('needs a reason to reject, and tells the requester', async () => {
    const id = await raise(agent, 'Zoë', clerk);
    const noReason = await post(t, sponsor, `/api/requests/${id}/reject`, {});
    expect(noReason.status).toBe(400);
    const rejected = await post(t, sponsor, `/api/requests/${id}/reject`, {
      reason: 'Not on the ward rota',
    });
    expect(await rejected.json()).toMatchObject({
      status: 'rejected',
      decisionReason: 'Not on the ward rota',
    });
  });
});

describe.each(testDrivers)('two reviewers approving at the same moment (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  it('ends with exactly one assignment and one 409', async () => {
    const raiser = await t.login('manager');
    const reviewers = [await t.login('sponsor'), await t.login('agent')];
    const positionIds = [
      await demoPositionId(t, 'Staff Nurse, Acute Medical Unit'),
      await demoPositionId(t, 'Ward Clerk'),
      await demoPositionId(t, 'Consultant Physician'),
    ];
    for (const [round, positionId] of positionIds.entries()) {
      const personId = await demoPersonId(t, round === 1 ? 'Zoë' : 'Priya');
      const raised = await post(t, raiser, '/api/requests', { personId, positionId });
      expect(raised.status).toBe(201);
      const { id } = await raised.json();
      const answers = await Promise.all(
        reviewers.map((who) => post(t, who, `/api/requests/${id}/approve`, {})),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses, `round ${round}`).toEqual([200, 409]);
      const loser = answers.find((r) => r.status === 409);
      expect((await (loser as Response).json()).error.code).toMatch(
        /ALREADY_DECIDED|CLAIMED_BY_OTHER/,
      );
      const person = await (
        await t.app.request(`/api/people/${personId}`, { headers: raiser.headers })
      ).json();
      const held = person.assignments.filter(
        (a: { position: { id: string }; state: string }) =>
          a.position.id === positionId && a.state === 'active',
      );
      expect(held).toHaveLength(1);
    }
  });
});
