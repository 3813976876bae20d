import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, positions } from '../../db/schema/access.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Named {
  id: string;
  name: string;
  children: Named[];
}

describe.each(testDrivers)('positions and the catalogue (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let medicine: string;
  let outpatients: string;
  let foreignPosition: string;

  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
    const site1 = await (await get(manager, '/api/organisations/RWG01')).json();
    const site2 = await (await get(manager, '/api/organisations/RWG02')).json();
    medicine = site1.workgroups.find((w: Named) => w.name === 'Medicine').id;
    outpatients = site2.workgroups.find((w: Named) => w.name === 'Outpatients').id;
    // A position of another trust, which nobody in the demo manages.
    await t.db.insert(organisations).values({ odsCode: 'RXX', name: 'Another Trust (test)' });
    const [row] = await t.db
      .insert(positions)
      .values({
        odsCode: 'RXX',
        name: 'Porter',
        createdAt: t.clock.now(),
        updatedAt: t.clock.now(),
      })
      .returning({ id: positions.id });
    if (!row) throw new Error('test position was not created');
    foreignPosition = row.id;
  });
  afterAll(() => t.close());

  function send(who: SignedIn, method: string, path: string, body?: unknown) {
    return t.app.request(path, {
      method,
      headers: who.headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  function get(who: SignedIn, path: string) {
    return t.app.request(path, { headers: who.headers });
  }
  const errorOf = async (res: Response) => (await res.json()).error;
  const newPosition = (who: SignedIn, body: Record<string, unknown> = {}) =>
    send(who, 'POST', '/api/positions', {
      odsCode: 'RWG01',
      name: 'Clinical Coder',
      jobRoles: ['R8007'],
      activities: ['B0163', 'B1505'],
      workgroupIds: [medicine],
      systems: ['sus'],
      assignable: false,
      ...body,
    });
  const created = async (who: SignedIn, body: Record<string, unknown>) => {
    const res = await newPosition(who, body);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; name: string };
  };

  describe('the RBAC catalogue', () => {
    it('lists the job roles and activities seeded from DOMAIN.md, to anyone who reads positions', async () => {
      const staff = await t.login('staff');
      const roles = await (await get(staff, '/api/job-roles')).json();
      expect(roles.items).toHaveLength(20);
      expect(roles.items).toContainEqual({ code: 'R8001', name: 'Nurse Access Role' });
      expect(roles.items.map((r: { code: string }) => r.code)).toEqual(
        roles.items.map((r: { code: string }) => r.code).sort(),
      );
      const acts = await (await get(staff, '/api/activities')).json();
      expect(acts.items).toHaveLength(14);
      expect(acts.items).toContainEqual({ code: 'B1300', name: 'Approve RA Requests' });
    });

    it('is not for roles that do not read positions', async () => {
      expect((await get(await t.login('idchecker'), '/api/job-roles')).status).toBe(403);
    });
  });

  describe('creating, reading and editing', () => {
    let coderId: string;

    it('creates a position with its job roles, activities, workgroups and systems, audited', async () => {
      const res = await newPosition(manager, { systems: ['sus', 'sus'] });
      expect(res.status).toBe(201);
      const position = await res.json();
      coderId = position.id;
      expect(position).toEqual({
        id: expect.any(String),
        odsCode: 'RWG01',
        name: 'Clinical Coder',
        jobRoles: [{ code: 'R8007', name: 'Clinical Coder Access Role' }],
        activities: [
          { code: 'B0163', name: 'Access PbR Extracts' },
          { code: 'B1505', name: 'Access SEM Extracts' },
        ],
        workgroups: [{ id: medicine, name: 'Medicine' }],
        systems: ['sus'],
        assignable: false,
        status: 'active',
        closedReason: null,
        closedAt: null,
      });
      expect(await (await get(manager, `/api/positions/${coderId}`)).json()).toEqual(position);
      const audit = await (
        await get(manager, `/api/audit?subjectType=position&subjectId=${coderId}`)
      ).json();
      expect(audit.items[0]).toMatchObject({
        action: 'position.created',
        actor: { username: 'manager' },
        summary: { odsCode: 'RWG01', name: 'Clinical Coder', jobRoles: ['R8007'] },
      });
    });

    it('edits only what is sent, and audits each change from and to', async () => {
      const res = await send(manager, 'PATCH', `/api/positions/${coderId}`, {
        systems: ['esr', 'sus'],
        assignable: true,
        activities: ['B0163'],
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        name: 'Clinical Coder',
        systems: ['esr', 'sus'],
        assignable: true,
        jobRoles: [{ code: 'R8007' }],
        activities: [{ code: 'B0163' }],
        workgroups: [{ id: medicine }],
      });
      const audit = await (
        await get(manager, `/api/audit?action=position.updated&subjectId=${coderId}`)
      ).json();
      expect(audit.items).toHaveLength(1);
      expect(audit.items[0].summary).toEqual({
        odsCode: 'RWG01',
        changes: {
          activities: { from: ['B0163', 'B1505'], to: ['B0163'] },
          systems: { from: ['sus'], to: ['esr', 'sus'] },
          assignable: { from: false, to: true },
        },
      });
    });

    it('writes nothing for an edit that changes nothing', async () => {
      const res = await send(manager, 'PATCH', `/api/positions/${coderId}`, {
        systems: ['sus', 'esr'],
        name: 'Clinical Coder',
      });
      expect(res.status).toBe(200);
      const audit = await (
        await get(manager, `/api/audit?action=position.updated&subjectId=${coderId}`)
      ).json();
      expect(audit.items).toHaveLength(1);
    });

    it('lists by organisation, status and part of the name, with everything named', async () => {
      const byName = await (
        await get(manager, '/api/positions?odsCode=RWG01&status=active&q=CODER')
      ).json();
      expect(byName.items.map((p: { name: string }) => p.name)).toEqual(['Clinical Coder']);
      expect(byName.items[0].workgroups).toEqual([{ id: medicine, name: 'Medicine' }]);
      const site2 = await (await get(manager, '/api/positions?odsCode=RWG02')).json();
      expect(site2.items.map((p: { name: string }) => p.name)).toEqual(['Outpatient Receptionist']);
      // A wildcard typed by a clerk is a literal character, not "match anything".
      const literal = await (await get(manager, '/api/positions?q=%25')).json();
      expect(literal.items).toEqual([]);
      const staff = await t.login('staff');
      expect((await get(staff, '/api/positions?status=active')).status).toBe(200);
    });

    it('renames, refusing a name another open position of the organisation has in any case', async () => {
      const clash = await send(manager, 'PATCH', `/api/positions/${coderId}`, {
        name: 'WARD CLERK',
      });
      expect(clash.status).toBe(409);
      expect((await errorOf(clash)).message).toBe(
        'RWG01 already has an open position called "Ward Clerk": choose another name.',
      );
      const renamed = await send(manager, 'PATCH', `/api/positions/${coderId}`, {
        name: 'Senior Clinical Coder',
      });
      expect(renamed.status).toBe(200);
      expect(await renamed.json()).toMatchObject({ name: 'Senior Clinical Coder' });
    });

    it('refuses a second open position of the same name, in any case', async () => {
      const res = await newPosition(manager, { name: 'ward clerk' });
      expect(res.status).toBe(409);
      expect((await errorOf(res)).code).toBe('CONFLICT');
    });

    it('allows the same name in another organisation', async () => {
      await created(manager, {
        odsCode: 'RWG02',
        name: 'Ward Clerk',
        workgroupIds: [outpatients],
      });
    });
  });

  describe('who may manage positions', () => {
    it('lets an advanced agent create, edit and close', async () => {
      const advanced = await t.login('advanced');
      const { id } = await created(advanced, { name: 'By advanced' });
      expect(
        (await send(advanced, 'PATCH', `/api/positions/${id}`, { assignable: true })).status,
      ).toBe(200);
      expect(
        (await send(advanced, 'POST', `/api/positions/${id}/close`, { reason: 'Test over' }))
          .status,
      ).toBe(200);
    });

    it('refuses RA agents, sponsors, ID checkers and staff, whose roles do not manage positions', async () => {
      const clerk = await demoPositionId(t, 'Consultant Physician');
      for (const user of ['agent', 'sponsor', 'idchecker', 'staff']) {
        const who = await t.login(user);
        const attempts = [
          await newPosition(who, { name: `By ${user}` }),
          await send(who, 'PATCH', `/api/positions/${clerk}`, { assignable: true }),
          await send(who, 'POST', `/api/positions/${clerk}/close`, { reason: 'Not mine to close' }),
        ];
        for (const res of attempts) {
          expect(res.status, user).toBe(403);
          expect((await errorOf(res)).code, user).toBe('FORBIDDEN');
        }
      }
      const [still] = await t.db.select().from(positions).where(eq(positions.id, clerk));
      expect(still).toMatchObject({ status: 'active', assignable: false });
    });

    it('keeps a manager to the positions of their own trust and its sites', async () => {
      const create = await newPosition(manager, {
        odsCode: 'RXX',
        name: 'Porter',
        workgroupIds: [],
      });
      expect(create.status).toBe(403);
      expect((await errorOf(create)).message).toBe(
        'You manage positions for RWG, RWG01, RWG02 only, and RXX is not one of them. Ask an RA manager of RXX.',
      );
      const edit = await send(manager, 'PATCH', `/api/positions/${foreignPosition}`, {
        name: 'Head Porter',
      });
      expect(edit.status).toBe(403);
      const close = await send(manager, 'POST', `/api/positions/${foreignPosition}/close`, {
        reason: 'Not ours',
      });
      expect(close.status).toBe(403);
      const [still] = await t.db.select().from(positions).where(eq(positions.id, foreignPosition));
      expect(still).toMatchObject({ name: 'Porter', status: 'active' });
    });
  });

  describe('bad input', () => {
    it.each([
      [
        'an unknown job role',
        { jobRoles: ['R8007', 'R9999'] },
        'jobRoles.1',
        'No job role has code R9999',
      ],
      [
        'unknown activities',
        { activities: ['B9998', 'B0163', 'B9999'] },
        'activities.2',
        'No activity has code B9999',
      ],
      ['an activity that is not a B-code', { activities: ['X1'] }, 'activities.0', /B0380/],
      ['no job role', { jobRoles: [] }, 'jobRoles', /at least one job role/],
      [
        'an unknown organisation',
        { odsCode: 'ZZZ01' },
        'odsCode',
        'No organisation has ODS code ZZZ01',
      ],
      [
        'a lower-case ODS code',
        { odsCode: 'rwg01' },
        'odsCode',
        'must be in capitals: RWG01, not rwg01',
      ],
      [
        'an unknown clinical system',
        { systems: ['emis'] },
        'systems.0',
        /systmone, ers, pacs, sus, esr/,
      ],
      ['a malformed workgroup id', { workgroupIds: ['medicine'] }, 'workgroupIds.0', /UUID/],
      ['a name too long', { name: 'x'.repeat(121) }, 'name', /120 characters/],
      ['a field it does not know', { sponsor: 'sam' }, 'sponsor', /not a field/],
    ])('refuses %s, naming the field', async (_, body, field, message) => {
      const res = await newPosition(manager, { name: `Bad ${field}`, ...body });
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('VALIDATION');
      expect(error.details).toContainEqual({
        field,
        message: typeof message === 'string' ? message : expect.stringMatching(message),
      });
    });

    it('refuses a workgroup of another organisation, naming it', async () => {
      const res = await newPosition(manager, {
        name: 'Cross-site',
        workgroupIds: [medicine, outpatients],
      });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({
        code: 'VALIDATION',
        details: [
          {
            field: 'workgroupIds.1',
            message: 'Choose a workgroup of RWG01: this one is not one of its workgroups',
          },
        ],
      });
      const clerk = await demoPositionId(t, 'Ward Clerk');
      const edit = await send(manager, 'PATCH', `/api/positions/${clerk}`, {
        workgroupIds: [outpatients],
      });
      expect(edit.status).toBe(400);
    });

    it('answers 400 to a malformed position id and 404 to an unknown one', async () => {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PATCH', '', { assignable: true }],
        ['POST', '/close', { reason: 'Testing ids' }],
      ] as const) {
        const malformed = await send(manager, method, `/api/positions/not-a-uuid${suffix}`, body);
        expect(malformed.status, method).toBe(400);
        expect(await errorOf(malformed), method).toMatchObject({
          code: 'VALIDATION',
          details: [{ field: 'id', message: 'must be a position id (UUID)' }],
        });
        const unknown = await send(
          manager,
          method,
          `/api/positions/${crypto.randomUUID()}${suffix}`,
          body,
        );
        expect(unknown.status, method).toBe(404);
      }
    });

    it('refuses an edit with nothing in it', async () => {
      const clerk = await demoPositionId(t, 'Ward Clerk');
      const res = await send(manager, 'PATCH', `/api/positions/${clerk}`, {});
      expect(res.status).toBe(400);
    });
  });

  describe('closing', () => {
    it('needs a reason of a few words', async () => {
      const { id } = await created(manager, { name: 'Needs a reason' });
      for (const body of [{}, { reason: '  ' }, { reason: 'ok' }, { reason: 'x'.repeat(501) }]) {
        const res = await send(manager, 'POST', `/api/positions/${id}/close`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect((await errorOf(res)).details[0].field).toBe('reason');
      }
      const [still] = await t.db.select().from(positions).where(eq(positions.id, id));
      expect(still?.status).toBe('active');
    });

    it('ends every open assignment in the same step, and they stay visible', async () => {
      const { id } = await created(manager, { name: 'Discharge Coordinator' });
      const priya = await demoPersonId(t, 'Priya');
      const zoe = await demoPersonId(t, 'Zoë');
      const tomasz = await demoPersonId(t, 'Tomasz');
      const at = t.clock.now();
      // Straight into the table: this suite is about positions, not how assignments are made.
      const rows = await t.db
        .insert(assignments)
        .values([
          { personId: priya, positionId: id, startDate: '2026-01-01', createdAt: at },
          // Starts next month: it ends too, before it ever began.
          { personId: zoe, positionId: id, startDate: '2026-12-01', createdAt: at },
          // Already past its end date: it ended by expiry, and stays that way.
          {
            personId: tomasz,
            positionId: id,
            startDate: '2025-01-01',
            endDate: '2025-12-31',
            createdAt: at,
          },
        ])
        .returning({ id: assignments.id, personId: assignments.personId });
      const before = rows.map((r) => r.id);

      const res = await send(manager, 'POST', `/api/positions/${id}/close`, {
        reason: '  Merged into Patient Flow Coordinator  ',
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        position: {
          id,
          status: 'closed',
          closedReason: 'Merged into Patient Flow Coordinator',
          closedAt: at.toISOString(),
        },
        assignmentsEnded: 2,
      });

      const after = await t.db.select().from(assignments).where(eq(assignments.positionId, id));
      expect(after.map((a) => a.id).sort()).toEqual([...before].sort());
      const byPerson = new Map(after.map((a) => [a.personId, a]));
      const managerId = (await (await get(manager, '/api/me')).json()).account.id;
      for (const person of [priya, zoe]) {
        expect(byPerson.get(person)).toMatchObject({
          endedAt: at,
          endReason: 'position_closed',
          endNote: 'Merged into Patient Flow Coordinator',
          endedBy: managerId,
        });
      }
      expect(byPerson.get(tomasz)).toMatchObject({ endedAt: null, endReason: null });

      const person = await (await get(manager, `/api/people/${priya}`)).json();
      expect(person.assignments).toContainEqual(
        expect.objectContaining({
          position: expect.objectContaining({ id }),
          state: 'position_closed',
          endNote: 'Merged into Patient Flow Coordinator',
        }),
      );

      const trail = await (
        await get(manager, `/api/audit?subjectType=position&subjectId=${id}`)
      ).json();
      expect(trail.items[0]).toMatchObject({
        action: 'position.closed',
        summary: { reason: 'Merged into Patient Flow Coordinator', assignmentsEnded: 2 },
      });
      const ended = await (
        await get(manager, `/api/audit?action=assignment.ended&subjectId=${priya}`)
      ).json();
      expect(ended.items[0].summary).toMatchObject({ positionId: id, reason: 'position_closed' });
    });

    it('refuses to close it again or edit it, and frees its name', async () => {
      const { id } = await created(manager, { name: 'Bed Manager' });
      expect(
        (await send(manager, 'POST', `/api/positions/${id}/close`, { reason: 'No longer used' }))
          .status,
      ).toBe(200);
      const again = await send(manager, 'POST', `/api/positions/${id}/close`, { reason: 'Again' });
      expect(again.status).toBe(409);
      expect((await errorOf(again)).message).toBe('"Bed Manager" is already closed.');
      const edit = await send(manager, 'PATCH', `/api/positions/${id}`, { name: 'Reopened?' });
      expect(edit.status).toBe(409);
      expect((await errorOf(edit)).message).toMatch(/closed position cannot be edited/);
      const closedList = await (await get(manager, '/api/positions?status=closed&q=bed')).json();
      expect(closedList.items.map((p: { id: string }) => p.id)).toContain(id);
      // The name belongs to open positions only, so a successor may take it.
      await created(manager, { name: 'Bed Manager' });
    });
  });

  it('pages the list by keyset: in organisation and name order, nothing repeated or skipped when positions are added', async () => {
    const all = await (await get(manager, '/api/positions?limit=200')).json();
    expect(all.nextCursor).toBeNull();
    expect(all.items.length).toBeGreaterThan(4);
    const sorted = [...all.items].sort(
      (a: { odsCode: string; name: string }, b: { odsCode: string; name: string }) =>
        a.odsCode === b.odsCode ? (a.name < b.name ? -1 : 1) : a.odsCode < b.odsCode ? -1 : 1,
    );
    expect(all.items.map((p: { id: string }) => p.id)).toEqual(
      sorted.map((p: { id: string }) => p.id),
    );

    const seen: string[] = [];
    let page = await (await get(manager, '/api/positions?limit=2')).json();
    expect(page.items).toHaveLength(2);
    // Added ahead of the first page's end: an offset would show its last position again.
    const { id: early } = await created(manager, {
      odsCode: 'RWG',
      name: '0 Early position (paging test)',
      workgroupIds: [],
    });
    for (;;) {
      seen.push(...page.items.map((p: { id: string }) => p.id));
      expect(page.items.length).toBeLessThanOrEqual(2);
      if (!page.nextCursor) break;
      page = await (
        await get(manager, `/api/positions?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`)
      ).json();
    }
    expect(seen).toEqual(all.items.map((p: { id: string }) => p.id));
    expect(seen).not.toContain(early);
    const [first] = (await (await get(manager, '/api/positions?limit=1&odsCode=RWG')).json()).items;
    expect(first.id).toBe(early);
  });

  it('leaves the audit chain whole', async () => {
    const verdict = await (await get(manager, '/api/audit/verify')).json();
    expect(verdict).toMatchObject({ ok: true, firstBrokenId: null });
  });
});
