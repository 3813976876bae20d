import { eq, inArray, sql } from 'drizzle-orm';
import { loginThrottles } from '../../../db/schema/accounts.ts';
import type { LoginPolicy } from '../../config.ts';
import { TooManyAttemptsError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';

export interface ThrottleKeys {
  account: string;
  address: string | null;
}

/** A timestamp parameter for raw SQL: postgres.js cannot encode a bare Date there. */
const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;

function keysOf(k: ThrottleKeys): string[] {
  const keys = [`account:${k.account.toLowerCase()}`];
  if (k.address) keys.push(`address:${k.address}`);
  return keys;
}

/** Refuses a sign-in attempt while the account or the address is locked out. */
export async function assertNotThrottled(ctx: ServiceContext, keys: ThrottleKeys): Promise<void> {
  const now = ctx.now();
  const rows = await ctx.db
    .select()
    .from(loginThrottles)
    .where(inArray(loginThrottles.key, keysOf(keys)));
  const blockedUntil = rows
    .map((r) => r.blockedUntil)
    .filter((d): d is Date => d !== null && d > now)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  if (blockedUntil) {
    const seconds = Math.ceil((blockedUntil.getTime() - now.getTime()) / 1000);
    const minutes = Math.ceil(seconds / 60);
    throw new TooManyAttemptsError(
      `Too many failed sign-in attempts. Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again, or ask the RA team to help.`,
      seconds,
    );
  }
}

/**
 * Counts a failed attempt against the account and the address. The count restarts when
 * the window (the lockout length) has passed since the first failure in it.
 */
export async function recordLoginFailure(
  ctx: ServiceContext,
  keys: ThrottleKeys,
  policy: LoginPolicy,
): Promise<void> {
  const now = ctx.now();
  const windowMs = policy.lockoutMinutes * 60_000;
  const windowStart = new Date(now.getTime() - windowMs);
  const blockedUntil = new Date(now.getTime() + windowMs);
  for (const key of keysOf(keys)) {
    const limit = key.startsWith('account:')
      ? policy.maxFailuresPerAccount
      : policy.maxFailuresPerAddress;
    const fresh = sql`${loginThrottles.windowStartedAt} < ${at(windowStart)}`;
    const failures = sql`case when ${fresh} then 1 else ${loginThrottles.failures} + 1 end`;
    const blocked = sql`case when ${failures} >= ${limit}::int then ${at(blockedUntil)} else ${loginThrottles.blockedUntil} end`;
    await ctx.db
      .insert(loginThrottles)
      .values({
        key,
        failures: 1,
        windowStartedAt: now,
        blockedUntil: limit <= 1 ? blockedUntil : null,
      })
      .onConflictDoUpdate({
        target: loginThrottles.key,
        set: {
          failures,
          windowStartedAt: sql`case when ${fresh} then ${at(now)} else ${loginThrottles.windowStartedAt} end`,
          blockedUntil: blocked,
        },
      });
  }
}

/** A successful sign-in clears the account's count (not the address's). */
export async function clearAccountFailures(ctx: ServiceContext, username: string): Promise<void> {
  await ctx.db
    .delete(loginThrottles)
    .where(eq(loginThrottles.key, `account:${username.toLowerCase()}`));
}
