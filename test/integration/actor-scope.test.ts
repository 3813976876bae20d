import { randomUUID } from 'node:crypto';
import { eq, type SQL } from 'drizzle-orm';
import { PgDatabase } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { accountRoles, accounts, type RoleName } from '../../db/schema/accounts.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { type Permission, permissionsOf } from '../../server/permissions/permissions.ts';
import { actorScope } from '../../server/services/access/actor-scope.ts';
import { positionFitsPerson } from '../../server/services/assignments/organisation-family.ts';
import { resolveSession } from '../../server/services/auth/sessions.ts';
import type { Actor, ServiceContext } from '../../server/services/context.ts';
import { personIdOfActor } from '../../server/services/people/person-of-actor.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const actor = (...roles: { role: RoleName; odsCode: string | null }[]): Actor => ({
  accountId: randomUUID(),
  username: 'scope.test',
  roles,
  permissions: permissionsOf(roles.map((r) => r.role)),
});

/**
 * The scope module (server/services/access/actor-scope.ts) over a tree three levels deep:
 * the demo trust RWG, its sites RWG01 and RWG02, and a unit RWG01A under RWG01.
 */
describe.each(testDrivers)('an actor’s organisation scope (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
    await t.db
      .insert(organisations)
      .values({ odsCode: 'RWG01A', name: 'Watford AMU (test)', parentOdsCode: 'RWG01' });
  });
  afterAll(() => t.close());

  const ctxOf = (who: Actor | null, memo?: Map<symbol, unknown>): ServiceContext => ({
    ...t.ctx,
    actor: who,
    ...(memo ? { memo } : {}),
  });
  const codes = async (who: Actor, permission: Permission) => {
    const scope = (await actorScope(ctxOf(who))).of(permission);
    return scope.all ? 'everywhere' : [...scope.odsCodes].sort();
  };

  it('gives a role at a trust every level below it, a sponsor exactly their organisation, and no organisation everywhere', async () => {
    expect(await codes(actor({ role: 'ra_agent', odsCode: 'RWG' }), 'people:read')).toEqual([
      'RWG',
      'RWG01',
      'RWG01A',
      'RWG02',
    ]);
    expect(await codes(actor({ role: 'ra_agent', odsCode: 'RWG01' }), 'people:read')).toEqual([
      'RWG01',
      'RWG01A',
    ]);
    expect(await codes(actor({ role: 'sponsor', odsCode: 'RWG01' }), 'requests:decide')).toEqual([
      'RWG01',
    ]);
    expect(await codes(actor({ role: 'ra_manager', odsCode: null }), 'positions:manage')).toBe(
      'everywhere',
    );
    // A permission is reached where any role granting it reaches; other roles add nothing.
    const both = actor(
      { role: 'sponsor', odsCode: 'RWG02' },
      { role: 'id_checker', odsCode: 'RWG01' },
    );
    expect(await codes(both, 'people:read')).toEqual(['RWG01', 'RWG01A', 'RWG02']);
    expect(await codes(both, 'requests:decide')).toEqual(['RWG02']);
    expect(await codes(both, 'positions:manage')).toEqual([]);
    expect((await actorScope(ctxOf(null))).covers('people:read', 'RWG')).toBe(false);
  });

  it('is worked out once per request: one recursive query however often services ask', async () => {
    const who = actor({ role: 'ra_agent', odsCode: 'RWG' });
    const memo = new Map<symbol, unknown>();
    const first = actorScope(ctxOf(who, memo));
    expect(actorScope(ctxOf(who, memo))).toBe(first);
    // A transaction's context is a copy with the same memo and actor: still the same answer.
    expect(actorScope({ ...ctxOf(who, memo), requestId: 'in a transaction' })).toBe(first);
    // Another actor on the same memo gets their own scope, never the first one's.
    const other = actor({ role: 'sponsor', odsCode: 'RWG02' });
    expect(actorScope(ctxOf(other, memo))).not.toBe(first);
    expect((await actorScope(ctxOf(other, memo))).covers('people:read', 'RWG01')).toBe(false);

    // Through the API: editing a person asks for the scope several times (to find, to edit,
    // to show the result), and the tree is not walked again: the session's own statement
    // read it (auth/sessions.ts), with the roles.
    const execute = vi.spyOn(PgDatabase.prototype, 'execute');
    try {
      const checker = await t.login('idchecker');
      const priya = await demoPersonId(t, 'Priya');
      execute.mockClear();
      const res = await t.app.request(`/api/people/${priya}`, {
        method: 'PATCH',
        headers: checker.headers,
        body: JSON.stringify({ phone: '01923 222333' }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const dialect = (t.db as unknown as { dialect: { sqlToQuery(q: SQL): { sql: string } } })
        .dialect;
      const walks = execute.mock.calls.filter(([query]) =>
        dialect.sqlToQuery(query as SQL).sql.includes('with recursive tree'),
      );
      expect(walks.length).toBe(0);
    } finally {
      execute.mockRestore();
    }
  });

  it('reads with the session the same reach, and person, as the walk and the lookup give', async () => {
    // A role three levels up (RWG, over RWG01 over RWG01A), a sponsor (exactly their
    // organisation), and an LSA at the lowest level.
    const roles = [
      { role: 'ra_agent' as const, odsCode: 'RWG' },
      { role: 'sponsor' as const, odsCode: 'RWG02' },
      { role: 'lsa' as const, odsCode: 'RWG01A' },
    ];
    const manager = await t.login('manager');
    const [account] = await t.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.username, 'manager'));
    const accountId = account?.id ?? '';
    const held = await t.db
      .select({ role: accountRoles.role, odsCode: accountRoles.odsCode })
      .from(accountRoles)
      .where(eq(accountRoles.accountId, accountId));
    try {
      await t.db.delete(accountRoles).where(eq(accountRoles.accountId, accountId));
      await t.db.insert(accountRoles).values(roles.map((r) => ({ accountId, ...r })));
      const token = decodeURIComponent(manager.cookie.slice(manager.cookie.indexOf('=') + 1));
      const resolved = await resolveSession(t.ctx, token, t.config.session);
      const session = resolved?.actor;
      expect(session?.known).toBeDefined();
      const walked = await actorScope(ctxOf({ ...(session as Actor), known: undefined }));
      const read = await actorScope(ctxOf(session ?? null));
      for (const permission of ['people:read', 'requests:decide', 'cards:read'] as const) {
        expect(read.of(permission), permission).toEqual(walked.of(permission));
      }
      expect(read.covers('people:read', 'RWG01A')).toBe(true);
      const people = read.of('people:read');
      expect(people.all ? 'all' : [...people.odsCodes].sort()).toEqual([
        'RWG',
        'RWG01',
        'RWG01A',
        'RWG02',
      ]);
      expect(session?.known?.personId).toBe(
        await personIdOfActor({ ...t.ctx, actor: { ...(session as Actor), known: undefined } }),
      );
    } finally {
      await t.db.delete(accountRoles).where(eq(accountRoles.accountId, accountId));
      await t.db.insert(accountRoles).values(held.map((r) => ({ accountId, ...r })));
    }
  });

  it('fits a position to a person by walking the tree up, not by reading it all', async () => {
    expect(await positionFitsPerson(t.ctx, 'RWG', ['RWG01A'])).toBe(true);
    expect(await positionFitsPerson(t.ctx, 'RWG01', ['RWG01A'])).toBe(true);
    expect(await positionFitsPerson(t.ctx, 'RWG01A', ['RWG'])).toBe(true);
    expect(await positionFitsPerson(t.ctx, 'RWG02', ['RWG01A'])).toBe(false);
    expect(await positionFitsPerson(t.ctx, 'RWG01A', ['RWG02'])).toBe(false);
    expect(await positionFitsPerson(t.ctx, 'RWG01', ['RWG02', 'RWG01'])).toBe(true);
    expect(await positionFitsPerson(t.ctx, 'RWG01', [])).toBe(false);
  });
});
