import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { accounts } from '../../../db/schema/accounts.ts';
import { accountActivations } from '../../../db/schema/people.ts';
import type { LoginPolicy } from '../../config.ts';
import { DomainError } from '../../errors.ts';
import { hashActivationCode } from '../accounts/activation-codes.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { assertNotThrottled, recordLoginFailure } from '../auth/login-throttle.ts';
import { hashPassword } from '../auth/passwords.ts';
import { type ServiceContext, withTransaction } from '../context.ts';

/**
 * A newly registered person chooses their password with the one-time code the RA gave
 * them. Wrong codes count as failed sign-ins, so codes cannot be guessed.
 */
export async function activateAccount(
  ctx: ServiceContext,
  input: { username: string; code: string; password: string },
  policy: LoginPolicy,
): Promise<void> {
  const keys = { account: input.username, address: ctx.address };
  await assertNotThrottled(ctx, keys, policy);
  const code = input.code.replace(/[\s-]/g, '').toUpperCase();
  const [row] = await ctx.db
    .select({ accountId: accounts.id, username: accounts.username })
    .from(accountActivations)
    .innerJoin(accounts, eq(accounts.id, accountActivations.accountId))
    .where(
      and(
        eq(sql`lower(${accounts.username})`, input.username.toLowerCase()),
        eq(accountActivations.codeHash, hashActivationCode(code)),
        isNull(accountActivations.usedAt),
        gt(accountActivations.expiresAt, ctx.now()),
      ),
    );
  if (!row) {
    await recordLoginFailure(ctx, keys, policy);
    throw new DomainError(
      'INVALID_CREDENTIALS',
      'That activation code is not right, has been used, or has expired. Ask the RA team for a new one.',
    );
  }
  const passwordHash = await hashPassword(input.password);
  await withTransaction(ctx, async (tx) => {
    await tx.db.update(accounts).set({ passwordHash }).where(eq(accounts.id, row.accountId));
    await tx.db
      .update(accountActivations)
      .set({ usedAt: ctx.now() })
      .where(eq(accountActivations.accountId, row.accountId));
    await recordAuditEvent(tx, {
      action: 'account.activated',
      subjectType: 'account',
      subjectId: row.accountId,
      actor: { accountId: row.accountId, username: row.username },
    });
  });
}
