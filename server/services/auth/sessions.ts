import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import {
  accountRoles,
  accounts,
  type FailedSignIns,
  sessions,
} from '../../../db/schema/accounts.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { people } from '../../../db/schema/people.ts';
import type { SessionPolicy } from '../../config.ts';
import { permissionsOf } from '../../permissions/permissions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { purgeOldLoginFailures } from './login-throttle.ts';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface NewSession {
  id: string;
  /** The bearer token for the cookie. Returned once, never stored. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(
  ctx: ServiceContext,
  accountId: string,
  policy: SessionPolicy,
  failedSignIns: FailedSignIns | null = null,
): Promise<NewSession> {
  const now = ctx.now();
  const token = newToken();
  const csrfToken = newToken();
  const expiresAt = new Date(now.getTime() + policy.maxHours * 3_600_000);
  const [row] = await ctx.db
    .insert(sessions)
    .values({
      tokenHash: hashToken(token),
      accountId,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      address: ctx.address,
      failedSignIns,
    })
    .returning({ id: sessions.id });
  if (!row) throw new Error('session insert returned no row');
  return { id: row.id, token, csrfToken, expiresAt };
}

export interface ResolvedSession {
  sessionId: string;
  csrfToken: string;
  actor: Actor;
}

// Writing last_seen_at on every request would turn every read into a write; a minute's
// slack in the idle time-out is not worth that.
const touchEveryMs = 60_000;

/**
 * The session a token belongs to, if it is still good: not ended, not past its absolute
 * expiry, not idle for longer than the policy allows, and its account still active.
 */
export async function resolveSession(
  ctx: ServiceContext,
  token: string,
  policy: SessionPolicy,
): Promise<ResolvedSession | null> {
  const now = ctx.now();
  const [row] = await ctx.db
    .select({
      id: sessions.id,
      csrfToken: sessions.csrfToken,
      lastSeenAt: sessions.lastSeenAt,
      expiresAt: sessions.expiresAt,
      accountId: accounts.id,
      username: accounts.username,
      // The account's roles in the same statement: a request's first round trip to the
      // database is its session, and a second for the roles cost every request about 1 ms.
      // So are the organisations each trust role reaches (organisation-tree.ts's walk) and
      // the account's person: most requests ask for one or both, a round trip each.
      roles: sql<ActorRole[] | string>`coalesce((
        select json_agg(json_build_object('role', r.role, 'odsCode', r.ods_code))
          from ${accountRoles} r where r.account_id = ${accounts.id}), '[]')`,
      reach: sql<Reach[] | string>`coalesce((
        select json_agg(json_build_object('start', r.ods_code, 'odsCodes', (
          with recursive tree(ods_code) as (
            select r.ods_code
            union
            select child.ods_code
              from ${organisations} child join tree on child.parent_ods_code = tree.ods_code)
          select json_agg(ods_code) from tree)))
          from ${accountRoles} r
         where r.account_id = ${accounts.id} and r.ods_code is not null and r.role <> 'sponsor'), '[]')`,
      personId: sql<
        string | null
      >`(select ${people.id} from ${people} where ${people.accountId} = ${accounts.id})`,
    })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(
      and(
        eq(sessions.tokenHash, hashToken(token)),
        isNull(sessions.endedAt),
        eq(accounts.status, 'active'),
      ),
    );
  if (!row) return null;
  const idleLimit = row.lastSeenAt.getTime() + policy.idleMinutes * 60_000;
  if (now >= row.expiresAt || now.getTime() >= idleLimit) return null;
  if (now.getTime() - row.lastSeenAt.getTime() >= touchEveryMs) {
    await ctx.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, row.id));
  }
  const json = <T>(value: T | string): T =>
    typeof value === 'string' ? (JSON.parse(value) as T) : value;
  const actor = actorWith(row.accountId, row.username, json(row.roles));
  actor.known = {
    reach: new Map(json(row.reach).map((r) => [r.start, new Set(r.odsCodes)])),
    personId: row.personId,
  };
  return { sessionId: row.id, csrfToken: row.csrfToken, actor };
}

/** A trust role's organisation and every organisation under it, as the session reads them. */
interface Reach {
  start: string;
  odsCodes: string[];
}

export async function endSession(ctx: ServiceContext, sessionId: string): Promise<void> {
  await ctx.db
    .update(sessions)
    .set({ endedAt: ctx.now() })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.endedAt)));
}

/**
 * Removes sessions that can no longer be used (they carry nothing the audit trail lacks),
 * and failed sign-ins older than their retention.
 */
export async function purgeDeadSessions(ctx: ServiceContext): Promise<void> {
  await ctx.db
    .delete(sessions)
    .where(or(isNotNull(sessions.endedAt), lt(sessions.expiresAt, ctx.now())));
  await purgeOldLoginFailures(ctx);
}

/** The failed sign-ins the holder of a session is to be told of (see signIn). */
export async function sessionFailedSignIns(
  ctx: ServiceContext,
  sessionId: string,
): Promise<FailedSignIns | null> {
  const [row] = await ctx.db
    .select({ failedSignIns: sessions.failedSignIns })
    .from(sessions)
    .where(eq(sessions.id, sessionId));
  return row?.failedSignIns ?? null;
}

/** An account as an actor: the roles it holds, and the permissions they give. */
export async function actorOf(
  ctx: ServiceContext,
  accountId: string,
  username: string,
): Promise<Actor> {
  const roles = await ctx.db
    .select({ role: accountRoles.role, odsCode: accountRoles.odsCode })
    .from(accountRoles)
    .where(eq(accountRoles.accountId, accountId));
  return actorWith(accountId, username, roles);
}

type ActorRole = Actor['roles'][number];

function actorWith(accountId: string, username: string, roles: ActorRole[]): Actor {
  return { accountId, username, roles, permissions: permissionsOf(roles.map((r) => r.role)) };
}
