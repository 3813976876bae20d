import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { type FailedSignIns, loginFailures } from '../../../db/schema/accounts.ts';
import type { LoginPolicy } from '../../config.ts';
import { TooManyAttemptsError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import {
  addressLockMinAccounts,
  failureRetentionMs,
  pairDelayMs,
  pairMemoryMs,
  waitWords,
  windowLockEnd,
} from './throttle-rules.ts';

/**
 * Who is trying: the username as typed, and the caller's address. Throttling follows OWASP's
 * advice: delays that grow per (username, address) pair slow a guesser without locking the
 * holder out from elsewhere; a username is locked only after very many failures from all
 * addresses, and an address only after very many failures for several usernames.
 */
export interface ThrottleKeys {
  account: string;
  address: string | null;
}

const accountKeyOf = (k: ThrottleKeys) => k.account.toLowerCase();
const addressOf = (k: ThrottleKeys) => k.address ?? '';

const counting = (windowStart: Date) =>
  and(isNull(loginFailures.clearedAt), gt(loginFailures.failedAt, windowStart));

const maxFailedAt = () => sql`max(${loginFailures.failedAt})`.mapWith(loginFailures.failedAt);

/** The `n`-th newest failure time among the rows `where` picks (1 = newest). */
async function nthNewest(
  ctx: ServiceContext,
  where: ReturnType<typeof and>,
  n: number,
): Promise<Date | null> {
  const [row] = await ctx.db
    .select({ at: loginFailures.failedAt })
    .from(loginFailures)
    .where(where)
    .orderBy(desc(loginFailures.failedAt))
    .offset(n - 1)
    .limit(1);
  return row?.at ?? null;
}

/** When the pair may next try, or null when it may try now. */
export async function pairWaitUntil(
  ctx: ServiceContext,
  keys: ThrottleKeys,
  policy: LoginPolicy,
): Promise<{ failures: number; until: Date | null }> {
  const since = new Date(ctx.now().getTime() - pairMemoryMs);
  const [row] = await ctx.db
    .select({ failures: sql<number>`count(*)::int`, last: maxFailedAt() })
    .from(loginFailures)
    .where(
      and(
        eq(loginFailures.accountKey, accountKeyOf(keys)),
        eq(loginFailures.address, addressOf(keys)),
        counting(since),
      ),
    );
  const failures = row?.failures ?? 0;
  const delay = pairDelayMs(failures, policy);
  if (!delay || !row?.last) return { failures, until: null };
  return { failures, until: new Date(row.last.getTime() + delay) };
}

/** When a username's lock ends (null: not locked), from its failures at every address. */
export async function accountLockedUntil(
  ctx: ServiceContext,
  accountKey: string,
  policy: LoginPolicy,
): Promise<{ failures: number; until: Date | null }> {
  const windowMs = policy.lockoutMinutes * 60_000;
  const where = and(
    eq(loginFailures.accountKey, accountKey),
    counting(new Date(ctx.now().getTime() - windowMs)),
  );
  const [row] = await ctx.db
    .select({ failures: sql<number>`count(*)::int` })
    .from(loginFailures)
    .where(where);
  const failures = row?.failures ?? 0;
  if (failures < policy.maxFailuresPerAccount) return { failures, until: null };
  const limitth = await nthNewest(ctx, where, policy.maxFailuresPerAccount);
  return {
    failures,
    until: windowLockEnd(failures, policy.maxFailuresPerAccount, limitth, windowMs),
  };
}

/** When an address's lock ends (null: not locked): very many failures, for several usernames. */
export async function addressLockedUntil(
  ctx: ServiceContext,
  address: string,
  policy: LoginPolicy,
): Promise<{ failures: number; accounts: number; until: Date | null }> {
  if (!address) return { failures: 0, accounts: 0, until: null };
  const windowMs = policy.lockoutMinutes * 60_000;
  const where = and(
    eq(loginFailures.address, address),
    counting(new Date(ctx.now().getTime() - windowMs)),
  );
  const [row] = await ctx.db
    .select({
      failures: sql<number>`count(*)::int`,
      accounts: sql<number>`count(distinct ${loginFailures.accountKey})::int`,
    })
    .from(loginFailures)
    .where(where);
  const failures = row?.failures ?? 0;
  const accounts = row?.accounts ?? 0;
  if (failures < policy.maxFailuresPerAddress || accounts < addressLockMinAccounts) {
    return { failures, accounts, until: null };
  }
  const limitth = await nthNewest(ctx, where, policy.maxFailuresPerAddress);
  return {
    failures,
    accounts,
    until: windowLockEnd(failures, policy.maxFailuresPerAddress, limitth, windowMs),
  };
}

/**
 * Refuses an attempt, before any password is checked, while its pair must wait or its
 * username or address is locked. The answer says how long to wait (and Retry-After).
 */
export async function assertNotThrottled(
  ctx: ServiceContext,
  keys: ThrottleKeys,
  policy: LoginPolicy,
): Promise<void> {
  const now = ctx.now();
  const refuse = (until: Date | null, message: (wait: string) => string) => {
    if (!until || until <= now) return;
    const ms = until.getTime() - now.getTime();
    throw new TooManyAttemptsError(message(waitWords(ms)), Math.ceil(ms / 1000));
  };
  const account = await accountLockedUntil(ctx, accountKeyOf(keys), policy);
  refuse(
    account.until,
    (wait) =>
      `This account is locked after many failed sign-in attempts. Try again in ${wait}, or ask the RA team to unlock it.`,
  );
  const address = await addressLockedUntil(ctx, addressOf(keys), policy);
  refuse(
    address.until,
    (wait) =>
      `Too many failed sign-in attempts from your network. Try again in ${wait}, or ask the RA team to help.`,
  );
  const pair = await pairWaitUntil(ctx, keys, policy);
  refuse(
    pair.until,
    (wait) =>
      `Too many failed sign-in attempts. Wait ${wait} and try again: this password was not checked.`,
  );
}

/** Counts one failed attempt for the username and address. */
export async function recordLoginFailure(
  ctx: ServiceContext,
  keys: ThrottleKeys,
  _policy?: LoginPolicy,
): Promise<void> {
  await ctx.db.insert(loginFailures).values({
    accountKey: accountKeyOf(keys),
    address: addressOf(keys),
    failedAt: ctx.now(),
  });
}

/**
 * A successful sign-in stops its own pair's failures counting (not other addresses': an
 * attacker elsewhere stays slowed). They are kept, so the holder is told of them.
 */
export async function clearPairFailures(ctx: ServiceContext, keys: ThrottleKeys): Promise<void> {
  await ctx.db
    .update(loginFailures)
    .set({ clearedAt: ctx.now() })
    .where(
      and(
        eq(loginFailures.accountKey, accountKeyOf(keys)),
        eq(loginFailures.address, addressOf(keys)),
        isNull(loginFailures.clearedAt),
      ),
    );
}

/** The failed attempts for a username since a moment (its last sign-in), by address. */
export async function failedSignInsSince(
  ctx: ServiceContext,
  accountKey: string,
  since: Date,
): Promise<FailedSignIns> {
  const rows = await ctx.db
    .select({
      address: loginFailures.address,
      count: sql<number>`count(*)::int`,
      lastAt: maxFailedAt(),
    })
    .from(loginFailures)
    .where(
      and(
        eq(loginFailures.accountKey, accountKey.toLowerCase()),
        gt(loginFailures.failedAt, since),
      ),
    )
    .groupBy(loginFailures.address)
    .orderBy(desc(maxFailedAt()));
  return {
    count: rows.reduce((n, r) => n + r.count, 0),
    since: since.toISOString(),
    addresses: rows.map((r) => ({
      address: r.address || null,
      count: r.count,
      lastAt: r.lastAt.toISOString(),
    })),
  };
}

/** Forgets failed attempts older than the retention time. */
export async function purgeOldLoginFailures(ctx: ServiceContext): Promise<void> {
  const before = new Date(ctx.now().getTime() - failureRetentionMs);
  await ctx.db.delete(loginFailures).where(lt(loginFailures.failedAt, before));
}
