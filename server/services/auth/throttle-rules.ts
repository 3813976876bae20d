import type { LoginPolicy } from '../../config.ts';

/** A pair's failures are remembered this long (unless it signs in or a manager clears them). */
export const pairMemoryMs = 24 * 3_600_000;

/** Failed sign-ins are kept this long, so a holder who signs in rarely is still told of them. */
export const failureRetentionMs = 30 * 24 * 3_600_000;

/**
 * An address is locked only when its failures name at least this many usernames: one
 * account's failures are the pair delay's business, and must not lock a hospital's network.
 */
export const addressLockMinAccounts = 5;

/**
 * How long one username from one address must wait after its `failures`-th failure:
 * nothing for the first few, then 1 s, 2 s, 4 s … up to the lockout length.
 */
export function pairDelayMs(failures: number, policy: LoginPolicy): number {
  if (failures < policy.delayAfterFailures) return 0;
  const doublings = Math.min(failures - policy.delayAfterFailures, 30);
  return Math.min(1000 * 2 ** doublings, policy.lockoutMinutes * 60_000);
}

/**
 * The end of a lock over a sliding window: with `count` failures in the window, of which the
 * `limit`-th newest happened at `limitthNewest`, the lock holds until that one leaves it.
 */
export function windowLockEnd(
  count: number,
  limit: number,
  limitthNewest: Date | null,
  windowMs: number,
): Date | null {
  if (count < limit || !limitthNewest) return null;
  return new Date(limitthNewest.getTime() + windowMs);
}

/** "3 seconds", "1 minute", "15 minutes": how long to wait, in words. */
export function waitWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
