import { and, eq, isNull, sql } from 'drizzle-orm';
import { accounts, loginFailures } from '../../../db/schema/accounts.ts';
import { NotFoundError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { usernameReach } from './username-reach.ts';

export interface ClearThrottleInput {
  username?: string | undefined;
  address?: string | undefined;
}

/**
 * An RA manager lets someone try again: the failed sign-ins of a username (from every
 * address), of an address (for every username), or of one username from one address stop
 * counting. They stay recorded, so the holder is still told of them. Audited.
 */
export async function clearSignInThrottle(
  ctx: ServiceContext,
  input: ClearThrottleInput,
): Promise<{ cleared: number }> {
  const username = input.username?.toLowerCase();
  const address = input.address;
  return withTransaction(ctx, async (tx) => {
    // Another organisation's account is not the caller's to clear: as if nothing held it.
    const outside = username !== undefined && (await usernameReach(tx, username)) === 'theirs';
    const cleared = outside
      ? []
      : await tx.db
          .update(loginFailures)
          .set({ clearedAt: tx.now() })
          .where(
            and(
              isNull(loginFailures.clearedAt),
              username === undefined ? undefined : eq(loginFailures.accountKey, username),
              address === undefined ? undefined : eq(loginFailures.address, address),
            ),
          )
          .returning({ id: loginFailures.id });
    if (cleared.length === 0) {
      const what = [
        username === undefined ? null : `username ${username}`,
        address === undefined ? null : `address ${address}`,
      ]
        .filter(Boolean)
        .join(' from ');
      throw new NotFoundError(`No failed sign-ins are holding back ${what}: nothing to clear.`);
    }
    const [account] = username
      ? await tx.db
          .select({ id: accounts.id })
          .from(accounts)
          .where(eq(sql`lower(${accounts.username})`, username))
      : [];
    await recordAuditEvent(tx, {
      action: 'auth.sign_in_throttle_cleared',
      subjectType: 'account',
      subjectId: account?.id ?? null,
      summary: { username: username ?? null, address: address ?? null, cleared: cleared.length },
    });
    return { cleared: cleared.length };
  });
}
