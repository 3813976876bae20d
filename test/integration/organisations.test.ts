import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations, workgroups } from '../../db/schema/organisations.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Node {
  id: string;
  name: string;
  status: string;
  children: Node[];
}

/** The tree as nested names, so a test reads like the tree it expects. */
const names = (nodes: Node[]): unknown[] =>
  nodes.map((n) => (n.children.length ? { [n.name]: names(n.children) } : n.name));

describe.each(testDrivers)('organisations and workgroups (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let otherTrustWorkgroup: string;

  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
    // Another trust, which nobody in the demo manages.
    await t.db.insert(organisations).values({ odsCode: 'RXX', name: 'Another Trust (test)' });
    const [wg] = await t.db
      .insert(workgroups)
      .values({ odsCode: 'RXX', name: 'Elsewhere' })
      .returning({ id: workgroups.id });
    if (!wg) throw new Error('test workgroup was not created');
    otherTrustWorkgroup = wg.id;
  });
  afterAll(() => t.close());

  const send = (who: SignedIn, method: string, path: string, body?: unknown) =>
    t.app.request(path, {
      method,
      headers: who.headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const get = (who: SignedIn, path: string) => t.app.request(path, { headers: who.headers });
  const errorOf = async (res: Response) => (await res.json()).error;

  describe('reading', () => {
    it('lists every organisation with its parent and status', async () => {
      const res = await get(await t.login('sponsor'), '/api/organisations');
      expect(res.status).toBe(200);
      const { items } = await res.json();
      expect(items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ odsCode: 'RWG', parentOdsCode: null, status: 'active' }),
          expect.objectContaining({ odsCode: 'RWG01', parentOdsCode: 'RWG', status: 'active' }),
          expect.objectContaining({ odsCode: 'RWG02', parentOdsCode: 'RWG', status: 'active' }),
        ]),
      );
    });

    it('shows one organisation with its workgroups as a nested tree', async () => {
      const res = await get(manager, '/api/organisations/RWG01');
      expect(res.status).toBe(200);
      const org = await res.json();
      expect(org).toMatchObject({ odsCode: 'RWG01', name: 'Watford General Hospital' });
      expect(names(org.workgroups)).toEqual([
        { Medicine: ['Acute Medical Unit'] },
        { Surgery: ['Theatres'] },
      ]);
      const tree = await (await get(manager, '/api/organisations/RWG01/workgroups')).json();
      expect(tree.items).toEqual(org.workgroups);
    });

    it('says what is wrong with a badly typed ODS code, and 404s an unknown one', async () => {
      const lower = await get(manager, '/api/organisations/rwg01');
      expect(lower.status).toBe(400);
      expect(await errorOf(lower)).toMatchObject({
        code: 'VALIDATION',
        details: [{ field: 'ods', message: 'must be in capitals: RWG01, not rwg01' }],
      });
      const uuid = await get(manager, '/api/organisations/00000000-0000-4000-8000-000000000000');
      expect(uuid.status).toBe(400);
      expect((await errorOf(uuid)).details[0].message).toMatch(/3 to 6 letters and digits/);
      const unknown = await get(manager, '/api/organisations/ZZZ99/workgroups');
      expect(unknown.status).toBe(404);
      expect((await errorOf(unknown)).message).toBe('There is no organisation ZZZ99.');
    });

    it('keeps organisations from staff, whose role does not read them', async () => {
      const res = await get(await t.login('staff'), '/api/organisations');
      expect(res.status).toBe(403);
    });
  });

  describe('adding organisations', () => {
    it('adds a site under the trust the manager manages, and audits it', async () => {
      const res = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RWG03',
        name: '  Hemel Hempstead Hospital ',
        parentOdsCode: 'RWG',
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({
        odsCode: 'RWG03',
        name: 'Hemel Hempstead Hospital',
        parentOdsCode: 'RWG',
        status: 'active',
        workgroups: [],
      });
      const audit = await (
        await get(manager, '/api/audit?subjectType=organisation&subjectId=RWG03')
      ).json();
      expect(audit.items[0]).toMatchObject({
        action: 'organisation.created',
        actor: { username: 'manager' },
        summary: { odsCode: 'RWG03', name: 'Hemel Hempstead Hospital', parentOdsCode: 'RWG' },
      });
    });

    it('lets an advanced agent add a site too', async () => {
      const res = await send(await t.login('advanced'), 'POST', '/api/organisations', {
        odsCode: 'RWG04',
        name: 'Watford Community Clinic',
        parentOdsCode: 'RWG01',
      });
      expect(res.status).toBe(201);
    });

    it.each([
      ['rwg05', /must be in capitals: RWG05, not rwg05/],
      ['RW-5', /letters and digits only/],
      ['RWG0055', /3 to 6 letters and digits.*7 characters/],
      ['R', /3 to 6 letters and digits/],
    ])('refuses the ODS code %s with a message saying how to fix it', async (odsCode, message) => {
      const res = await send(manager, 'POST', '/api/organisations', {
        odsCode,
        name: 'Badly coded',
        parentOdsCode: 'RWG',
      });
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('VALIDATION');
      expect(error.details).toEqual([
        { field: 'odsCode', message: expect.stringMatching(message) },
      ]);
    });

    it('refuses an ODS code already in use, naming what has it', async () => {
      const res = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RWG01',
        name: 'Again',
        parentOdsCode: 'RWG',
      });
      expect(res.status).toBe(409);
      expect(await errorOf(res)).toMatchObject({
        code: 'CONFLICT',
        message: 'RWG01 already exists: Watford General Hospital.',
      });
    });

    it('refuses an unknown parent, naming the field', async () => {
      const res = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RWG09',
        name: 'Orphan',
        parentOdsCode: 'ZZZ99',
      });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({
        code: 'VALIDATION',
        message: 'There is no organisation ZZZ99 to add RWG09 under.',
        details: [{ field: 'parentOdsCode' }],
      });
    });

    it('keeps a manager to their own trust, and top-level organisations to national managers', async () => {
      const foreign = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RXX01',
        name: 'Not mine',
        parentOdsCode: 'RXX',
      });
      expect(foreign.status).toBe(403);
      expect((await errorOf(foreign)).message).toBe(
        'You manage organisations for RWG, RWG01, RWG02, RWG03, RWG04 only, and RXX is not one of them. Ask an RA manager of RXX.',
      );
      const topLevel = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RYY',
        name: 'New trust',
      });
      expect(topLevel.status).toBe(403);
      expect((await errorOf(topLevel)).message).toMatch(/every organisation.*parentOdsCode/);
    });

    it('refuses RA agents and sponsors, whose roles do not manage organisations', async () => {
      for (const user of ['agent', 'sponsor', 'idchecker']) {
        const res = await send(await t.login(user), 'POST', '/api/organisations', {
          odsCode: 'RWG08',
          name: `By ${user}`,
          parentOdsCode: 'RWG',
        });
        expect(res.status, user).toBe(403);
        expect((await errorOf(res)).code, user).toBe('FORBIDDEN');
      }
    });

    it('refuses fields it does not know and names that are too long', async () => {
      const extra = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RWG07',
        name: 'Extra',
        parentOdsCode: 'RWG',
        status: 'closed',
      });
      expect(extra.status).toBe(400);
      expect((await errorOf(extra)).details).toEqual([
        { field: 'status', message: 'is not a field this request accepts' },
      ]);
      const long = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RWG07',
        name: 'x'.repeat(201),
        parentOdsCode: 'RWG',
      });
      expect(long.status).toBe(400);
    });
  });

  describe('changing organisations', () => {
    it('renames an organisation, auditing the change from and to', async () => {
      const res = await send(manager, 'PATCH', '/api/organisations/RWG03', {
        name: 'Hemel Hempstead General Hospital',
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ name: 'Hemel Hempstead General Hospital' });
      const audit = await (
        await get(manager, '/api/audit?action=organisation.updated&subjectId=RWG03')
      ).json();
      expect(audit.items[0].summary).toEqual({
        changes: {
          name: { from: 'Hemel Hempstead Hospital', to: 'Hemel Hempstead General Hospital' },
        },
      });
    });

    it('refuses an empty change, an unknown organisation and one outside the caller’s trust', async () => {
      expect((await send(manager, 'PATCH', '/api/organisations/RWG03', {})).status).toBe(400);
      expect(
        (await send(manager, 'PATCH', '/api/organisations/ZZZ99', { name: 'Nowhere' })).status,
      ).toBe(404);
      const foreign = await send(manager, 'PATCH', '/api/organisations/RXX', { name: 'Mine now' });
      expect(foreign.status).toBe(403);
      expect((await errorOf(foreign)).code).toBe('FORBIDDEN');
      const agent = await send(await t.login('agent'), 'PATCH', '/api/organisations/RWG03', {
        name: 'By an agent',
      });
      expect(agent.status).toBe(403);
    });

    it('closes an organisation only once nothing under it is open', async () => {
      const busy = await send(manager, 'PATCH', '/api/organisations/RWG01', { status: 'closed' });
      expect(busy.status).toBe(409);
      expect((await errorOf(busy)).message).toBe(
        'RWG01 cannot be closed yet: its site RWG04 is open, and 3 of its positions are open. Close those first.',
      );
      const closed = await send(manager, 'PATCH', '/api/organisations/RWG04', {
        status: 'closed',
      });
      expect(closed.status).toBe(200);
      expect(await closed.json()).toMatchObject({ odsCode: 'RWG04', status: 'closed' });
    });

    it('adds nothing under a closed organisation until it is reopened', async () => {
      const site = await send(manager, 'POST', '/api/organisations', {
        odsCode: 'RWG41',
        name: 'Under a closed site',
        parentOdsCode: 'RWG04',
      });
      expect(site.status).toBe(409);
      expect((await errorOf(site)).message).toMatch(/RWG04 .* is closed: reopen it/);
      const group = await send(manager, 'POST', '/api/organisations/RWG04/workgroups', {
        name: 'Clinic',
      });
      expect(group.status).toBe(409);
      const reopened = await send(manager, 'PATCH', '/api/organisations/RWG04', {
        status: 'active',
      });
      expect(reopened.status).toBe(200);
      expect(
        (await send(manager, 'POST', '/api/organisations/RWG04/workgroups', { name: 'Clinic' }))
          .status,
      ).toBe(201);
    });
  });

  describe('workgroups', () => {
    it('builds a tree: a top-level workgroup and one under it', async () => {
      const top = await send(manager, 'POST', '/api/organisations/RWG03/workgroups', {
        name: 'Urgent Care',
      });
      expect(top.status).toBe(201);
      const { id: urgentId } = await top.json();
      const child = await send(manager, 'POST', '/api/organisations/RWG03/workgroups', {
        name: 'Minor Injuries',
        parentId: urgentId,
      });
      expect(child.status).toBe(201);
      const body = await child.json();
      expect(names(body.items)).toEqual([{ 'Urgent Care': ['Minor Injuries'] }]);
      const audit = await (
        await get(manager, '/api/audit?action=workgroup.created&subjectId=RWG03')
      ).json();
      expect(audit.items[0].summary).toEqual({
        workgroupId: body.id,
        name: 'Minor Injuries',
        parentId: urgentId,
      });
    });

    it('refuses a sibling of the same name in any case, but not a cousin', async () => {
      const twice = await send(manager, 'POST', '/api/organisations/RWG01/workgroups', {
        name: 'medicine',
      });
      expect(twice.status).toBe(409);
      expect((await errorOf(twice)).message).toBe(
        'There is already a workgroup called "Medicine" at the top of RWG01.',
      );
      const org = await (await get(manager, '/api/organisations/RWG01')).json();
      const surgery = org.workgroups.find((w: Node) => w.name === 'Surgery');
      const medicine = org.workgroups.find((w: Node) => w.name === 'Medicine');
      const cousin = await send(manager, 'POST', '/api/organisations/RWG01/workgroups', {
        name: 'Day Unit',
        parentId: surgery.id,
      });
      expect(cousin.status).toBe(201);
      const sameNameElsewhere = await send(manager, 'POST', '/api/organisations/RWG01/workgroups', {
        name: 'Day Unit',
        parentId: medicine.id,
      });
      expect(sameNameElsewhere.status).toBe(201);
      const siblingAgain = await send(manager, 'POST', '/api/organisations/RWG01/workgroups', {
        name: 'DAY UNIT',
        parentId: surgery.id,
      });
      expect(siblingAgain.status).toBe(409);
    });

    it('refuses a parent from another organisation and a malformed parent id', async () => {
      const foreign = await send(manager, 'POST', '/api/organisations/RWG01/workgroups', {
        name: 'Borrowed',
        parentId: otherTrustWorkgroup,
      });
      expect(foreign.status).toBe(400);
      expect(await errorOf(foreign)).toMatchObject({
        code: 'VALIDATION',
        details: [{ field: 'parentId', message: 'is not a workgroup of RWG01' }],
      });
      const malformed = await send(manager, 'POST', '/api/organisations/RWG01/workgroups', {
        name: 'Borrowed',
        parentId: 'not-a-uuid',
      });
      expect(malformed.status).toBe(400);
      expect((await errorOf(malformed)).details[0].field).toBe('parentId');
    });

    it('keeps workgroups to their managers and their trust', async () => {
      for (const user of ['agent', 'sponsor']) {
        const res = await send(await t.login(user), 'POST', '/api/organisations/RWG01/workgroups', {
          name: `By ${user}`,
        });
        expect(res.status, user).toBe(403);
      }
      const foreign = await send(manager, 'POST', '/api/organisations/RXX/workgroups', {
        name: 'Mine now',
      });
      expect(foreign.status).toBe(403);
      expect((await errorOf(foreign)).message).toMatch(/You manage workgroups for RWG, .* only/);
      const unknown = await send(manager, 'POST', '/api/organisations/ZZZ99/workgroups', {
        name: 'Nowhere',
      });
      expect(unknown.status).toBe(404);
    });
  });

  it('leaves the audit chain whole', async () => {
    const verdict = await (await get(manager, '/api/audit/verify')).json();
    expect(verdict).toMatchObject({ ok: true, firstBrokenId: null });
  });
});
