import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema/access.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPositionId, post, registerActivePerson } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const day = 86_400_000;
const nurseName = 'Staff Nurse, Acute Medical Unit';

/**
 * "Already holds this position" means one thing whether a position is assigned directly or
 * requested: an assignment not ended and not past its end date (one starting later counts).
 */
describe.each(testDrivers)('already holding a position (%s)', (driver) => {
  let t: TestApp;
  let checker: SignedIn;
  let agent: SignedIn;
  let nurse: string;
  beforeAll(async () => {
    t = await createTestApp(driver);
    checker = await t.login('idchecker');
    agent = await t.login('agent');
    nurse = await demoPositionId(t, nurseName);
  });
  afterAll(() => t.close());

  const someone = async (givenName: string) =>
    (await registerActivePerson(t, checker, { givenName, familyName: 'Holder' })).id;
  const assign = (personId: string, dates: Record<string, string> = {}) =>
    post(t, agent, `/api/people/${personId}/assignments`, { positionId: nurse, ...dates });
  const request = (personId: string, kind: 'assign' | 'remove' = 'assign') =>
    post(t, agent, '/api/requests', { kind, personId, positionId: nurse });
  const conflict = async (res: Response) => {
    expect(res.status, await res.clone().text()).toBe(409);
    return ((await res.json()) as { error: { code: string; message: string } }).error;
  };

  /** Assigning and requesting both refuse, with the same words. */
  async function bothRefuse(personId: string, message: string) {
    const assigned = await conflict(await assign(personId));
    const requested = await conflict(await request(personId));
    expect(assigned).toMatchObject({ code: 'CONFLICT', message });
    expect(requested).toMatchObject({ code: 'CONFLICT', message });
  }

  it('refuses a position held now, assigning and requesting alike', async () => {
    const id = await someone('Held');
    expect((await assign(id, { endDate: '2027-06-30' })).status).toBe(201);
    await bothRefuse(id, `Held Holder already holds "${nurseName}" (until 2027-06-30).`);
    // Asking to remove it is what makes sense instead.
    expect((await request(id, 'remove')).status).toBe(201);
  });

  it('refuses a position held from a later date, assigning and requesting alike', async () => {
    const id = await someone('Future');
    expect((await assign(id, { startDate: '2026-12-07' })).status).toBe(201);
    await bothRefuse(id, `Future Holder already holds "${nurseName}" (from 2026-12-07).`);
  });

  it('allows a position that was removed, assigning and requesting alike', async () => {
    const id = await someone('Removed');
    const made = (await (await assign(id)).json()) as { id: string };
    const removed = await post(t, agent, `/api/people/${id}/assignments/${made.id}/remove`, {
      note: 'Moved to outpatients',
    });
    expect(removed.status).toBe(204);
    expect(await conflict(await request(id, 'remove'))).toMatchObject({
      message: `Removed Holder does not hold "${nurseName}".`,
    });
    expect((await request(id)).status).toBe(201);
    expect((await assign(id)).status).toBe(201);
  });

  it('allows a position whose end date has passed, though nothing marked it expired', async () => {
    const requested = await someone('Lapsed');
    const assigned = await someone('Expired');
    for (const id of [requested, assigned]) {
      expect((await assign(id, { endDate: '2026-11-30' })).status).toBe(201);
    }
    t.clock.advance(6 * day); // 1 December: both ran out yesterday
    agent = await t.login('agent');

    expect(await conflict(await request(requested, 'remove'))).toMatchObject({
      message: `Lapsed Holder does not hold "${nurseName}".`,
    });
    const raised = await request(requested);
    expect(raised.status, await raised.clone().text()).toBe(201);

    const again = await assign(assigned);
    expect(again.status, await again.clone().text()).toBe(201);
    const rows = await t.db
      .select({ endReason: assignments.endReason, endNote: assignments.endNote })
      .from(assignments)
      .where(and(eq(assignments.personId, assigned), eq(assignments.positionId, nurse)))
      .orderBy(assignments.createdAt);
    expect(rows).toEqual([
      { endReason: 'expired', endNote: 'Expired on 2026-11-30' },
      { endReason: null, endNote: null },
    ]);
  });
});
