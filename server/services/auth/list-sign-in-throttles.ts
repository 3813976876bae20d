import { and, gt, isNull, sql } from 'drizzle-orm';
import { loginFailures } from '../../../db/schema/accounts.ts';
import type { LoginPolicy } from '../../config.ts';
import type { ServiceContext } from '../context.ts';
import { accountLockedUntil, addressLockedUntil, pairWaitUntil } from './login-throttle.ts';
import { addressLockMinAccounts, pairMemoryMs } from './throttle-rules.ts';
import { usernameReach } from './username-reach.ts';

export interface SignInThrottle {
  /** What is held back: a username everywhere, an address for everyone, or one from the other. */
  kind: 'account' | 'address' | 'account_address';
  username: string | null;
  address: string | null;
  /** Failures that count towards it (in the window, or for a pair in the last day). */
  failures: number;
  /** How many usernames an address's failures named. */
  accounts: number | null;
  blockedUntil: string;
}

/**
 * The sign-in throttles and locks holding someone back now, for the RA manager: each
 * username locked, each address locked, and each username-and-address pair made to wait.
 */
export async function listSignInThrottles(
  ctx: ServiceContext,
  policy: LoginPolicy,
): Promise<SignInThrottle[]> {
  const now = ctx.now();
  const windowStart = new Date(now.getTime() - policy.lockoutMinutes * 60_000);
  const counting = (since: Date) =>
    and(isNull(loginFailures.clearedAt), gt(loginFailures.failedAt, since));
  const items: SignInThrottle[] = [];

  const accounts = await ctx.db
    .select({ key: loginFailures.accountKey })
    .from(loginFailures)
    .where(counting(windowStart))
    .groupBy(loginFailures.accountKey)
    .having(sql`count(*) >= ${policy.maxFailuresPerAccount}`);
  for (const { key } of accounts) {
    const lock = await accountLockedUntil(ctx, key, policy);
    if (lock.until && lock.until > now) {
      items.push({
        kind: 'account',
        username: key,
        address: null,
        failures: lock.failures,
        accounts: null,
        blockedUntil: lock.until.toISOString(),
      });
    }
  }

  const addresses = await ctx.db
    .select({ address: loginFailures.address })
    .from(loginFailures)
    .where(counting(windowStart))
    .groupBy(loginFailures.address)
    .having(
      sql`count(*) >= ${policy.maxFailuresPerAddress} and count(distinct ${loginFailures.accountKey}) >= ${addressLockMinAccounts}`,
    );
  for (const { address } of addresses) {
    const lock = await addressLockedUntil(ctx, address, policy);
    if (lock.until && lock.until > now) {
      items.push({
        kind: 'address',
        username: null,
        address,
        failures: lock.failures,
        accounts: lock.accounts,
        blockedUntil: lock.until.toISOString(),
      });
    }
  }

  const pairs = await ctx.db
    .select({ key: loginFailures.accountKey, address: loginFailures.address })
    .from(loginFailures)
    .where(counting(new Date(now.getTime() - pairMemoryMs)))
    .groupBy(loginFailures.accountKey, loginFailures.address)
    .having(sql`count(*) >= ${policy.delayAfterFailures}`);
  for (const pair of pairs) {
    const wait = await pairWaitUntil(ctx, { account: pair.key, address: pair.address }, policy);
    if (wait.until && wait.until > now) {
      items.push({
        kind: 'account_address',
        username: pair.key,
        address: pair.address || null,
        failures: wait.failures,
        accounts: null,
        blockedUntil: wait.until.toISOString(),
      });
    }
  }
  // Only the caller's own organisations' accounts (and names no account has).
  const reach = new Map<string, Awaited<ReturnType<typeof usernameReach>>>();
  for (const name of new Set(items.flatMap((i) => (i.username ? [i.username] : [])))) {
    reach.set(name, await usernameReach(ctx, name));
  }
  return items
    .filter((i) => !i.username || reach.get(i.username) !== 'theirs')
    .sort((a, b) => b.blockedUntil.localeCompare(a.blockedUntil));
}
