import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId, post, registerActivePerson } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

describe.each(testDrivers)('positions and the catalogue (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let workgroupId: string;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
    const org = await (
      await t.app.request('/api/organisations/RWG01', { headers: manager.headers })
    ).json();
    workgroupId = org.workgroups.find((w: { name: string }) => w.name === 'Medicine').id;
  });
  afterAll(() => t.close());

  const newPosition = (who: SignedIn, body: Record<string, unknown> = {}) =>
    post(t, who, '/api/positions', {
      odsCode: 'RWG01',
      name: 'Clinical Coder',
      jobRoles: ['R8007'],
      activities: ['B0163', 'B1505'],
      workgroupIds: [workgroupId],
      systems: ['sus'],
      assignable: false,
      ...body,
    });

  it('lists the RBAC catalogue seeded from DOMAIN.md', async () => {
    const staff = await t.login('staff');
    const roles = await (await t.app.request('/api/job-roles', { headers: staff.headers })).json();
    expect(roles.items).toHaveLength(20);
    expect(roles.items).toContainEqual({ code: 'R8001', name: 'Nurse Access Role' });
    const acts = await (await t.app.request('/api/activities', { headers: staff.headers })).json();
    expect(acts.items).toContainEqual({ code: 'B1300', name: 'Approve RA Requests' });
  });

  it('creates, edits and lists a position with its roles, activities, workgroups and systems', async () => {
    const created = await newPosition(manager);
    expect(created.status).toBe(201);
    const position = await created.json();
    expect(position).toMatchObject({
      odsCode: 'RWG01',
      jobRoles: [{ code: 'R8007', name: 'Clinical Coder Access Role' }],
      workgroups: [{ id: workgroupId, name: 'Medicine' }],
      systems: ['sus'],
      status: 'active',
    });
    const edited = await t.app.request(`/api/positions/${position.id}`, {
      method: 'PATCH',
      headers: manager.headers,
      body: JSON.stringify({ systems: ['sus', 'esr'], assignable: true }),
    });
    expect(await edited.json()).toMatchObject({
      systems: ['sus', 'esr'],
      assignable: true,
      jobRoles: [{ code: 'R8007' }],
    });
    const listed = await (
      await t.app.request('/api/positions?odsCode=RWG01&q=coder', { headers: manager.headers })
    ).json();
    expect(listed.items.map((p: { name: string }) => p.name)).toEqual(['Clinical Coder']);
  });

  it('keeps positions to RA managers and advanced agents of the organisation', async () => {
    for (const user of ['agent', 'sponsor', 'idchecker']) {
      const res = await newPosition(await t.login(user), { name: `By ${user}` });
      expect(res.status, user).toBe(403);
    }
    expect((await newPosition(await t.login('advanced'), { name: 'By advanced' })).status).toBe(
      201,
    );
  });

  it.each([
    ['an unknown job role', { jobRoles: ['R9999'] }, /unknown job role R9999/],
    ['an activity that is not a B-code', { activities: ['X1'] }, /B-code/],
    ['an unknown organisation', { odsCode: 'ZZZ01' }, /no organisation ZZZ01/],
    ['a lower-case ODS code', { odsCode: 'rwg01' }, /ODS code/],
    ['an unknown clinical system', { systems: ['emis'] }, /systems/],
  ])('refuses %s', async (_, body, message) => {
    const res = await newPosition(manager, { name: `Bad ${Math.random()}`, ...body });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(message);
  });

  it('refuses a workgroup of another organisation', async () => {
    const org = await (
      await t.app.request('/api/organisations/RWG02', { headers: manager.headers })
    ).json();
    const res = await newPosition(manager, {
      name: 'Cross-site',
      workgroupIds: [org.workgroups[0].id],
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/not RWG01's/);
  });

  it('refuses a second open position of the same name', async () => {
    const res = await newPosition(manager, { name: 'ward clerk' });
    expect(res.status).toBe(409);
  });

  it('closes with a reason, ending every assignment, which stays visible', async () => {
    const clerk = await demoPositionId(t, 'Ward Clerk');
    const agent = await t.login('agent');
    const priya = await demoPersonId(t, 'Priya');
    const zoe = await demoPersonId(t, 'Zoë');
    for (const person of [priya, zoe]) {
      expect(
        (await post(t, agent, `/api/people/${person}/assignments`, { positionId: clerk })).status,
      ).toBe(201);
    }
    const noReason = await post(t, manager, `/api/positions/${clerk}/close`, {});
    expect(noReason.status).toBe(400);
    const closed = await post(t, manager, `/api/positions/${clerk}/close`, {
      reason: 'Role merged into Ward Administrator',
    });
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({
      position: { status: 'closed' },
      assignmentsEnded: 2,
    });
    const person = await (
      await t.app.request(`/api/people/${priya}`, { headers: manager.headers })
    ).json();
    expect(person.assignments).toEqual([
      expect.objectContaining({
        state: 'position_closed',
        endNote: 'Role merged into Ward Administrator',
      }),
    ]);
    const again = await post(t, manager, `/api/positions/${clerk}/close`, { reason: 'again' });
    expect(again.status).toBe(409);
    const edit = await t.app.request(`/api/positions/${clerk}`, {
      method: 'PATCH',
      headers: manager.headers,
      body: JSON.stringify({ name: 'Reopened?' }),
    });
    expect(edit.status).toBe(409);
    const checker = await t.login('idchecker');
    const someone = await registerActivePerson(t, checker, {
      givenName: 'Late',
      familyName: 'Starter',
    });
    const assign = await post(t, agent, `/api/people/${someone.id}/assignments`, {
      positionId: clerk,
    });
    expect((await assign.json()).error.message).toMatch(/closed/);
    const audit = await (
      await t.app.request(`/api/audit?subjectType=position&subjectId=${clerk}`, {
        headers: manager.headers,
      })
    ).json();
    expect(audit.items[0]).toMatchObject({
      action: 'position.closed',
      summary: { assignmentsEnded: 2 },
    });
  });
});

describe.each(testDrivers)('organisations and workgroups (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
  });
  afterAll(() => t.close());

  it('adds a site under a trust the manager manages, with a workgroup tree', async () => {
    const site = await post(t, manager, '/api/organisations', {
      odsCode: 'RWG03',
      name: 'Hemel Hempstead Hospital',
      parentOdsCode: 'RWG',
    });
    expect(site.status).toBe(201);
    const top = await post(t, manager, '/api/organisations/RWG03/workgroups', {
      name: 'Urgent Care',
    });
    const [urgent] = (await top.json()).items;
    const child = await post(t, manager, '/api/organisations/RWG03/workgroups', {
      name: 'Minor Injuries',
      parentId: urgent.id,
    });
    expect((await child.json()).items).toEqual([
      expect.objectContaining({
        name: 'Urgent Care',
        children: [expect.objectContaining({ name: 'Minor Injuries' })],
      }),
    ]);
    const twice = await post(t, manager, '/api/organisations/RWG03/workgroups', {
      name: 'urgent care',
    });
    expect(twice.status).toBe(409);
  });

  it('refuses bad ODS codes, other trusts and duplicates', async () => {
    expect(
      (await post(t, manager, '/api/organisations', { odsCode: 'rw-1', name: 'Bad code' })).status,
    ).toBe(400);
    expect(
      (await post(t, manager, '/api/organisations', { odsCode: 'RXX', name: 'Another trust' }))
        .status,
    ).toBe(403);
    expect(
      (
        await post(t, manager, '/api/organisations', {
          odsCode: 'RWG01',
          name: 'Again',
          parentOdsCode: 'RWG',
        })
      ).status,
    ).toBe(409);
    expect(
      (await t.app.request('/api/organisations/rwg01', { headers: manager.headers })).status,
    ).toBe(400);
    expect(
      (await t.app.request('/api/organisations/ZZZ99', { headers: manager.headers })).status,
    ).toBe(404);
    const agent = await t.login('agent');
    expect(
      (
        await post(t, agent, '/api/organisations', {
          odsCode: 'RWG09',
          name: 'By an agent',
          parentOdsCode: 'RWG',
        })
      ).status,
    ).toBe(403);
  });
});
