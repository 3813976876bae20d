import { createHash, randomBytes } from 'node:crypto';
import { accountActivations } from '../../../db/schema/people.ts';
import type { ServiceContext } from '../context.ts';

/** How long a one-time activation code stays good. */
export const activationDays = 7;

export function hashActivationCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/** Readable one-time code: 12 characters without look-alikes (0/O, 1/I/L). */
function newActivationCode(): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Issues a one-time code with which the account's owner chooses their password. Only its
 * hash is stored; the code is returned once, to be handed over in person.
 */
export async function issueActivationCode(ctx: ServiceContext, accountId: string) {
  const code = newActivationCode();
  const expiresAt = new Date(ctx.now().getTime() + activationDays * 86_400_000);
  await ctx.db
    .insert(accountActivations)
    .values({ accountId, codeHash: hashActivationCode(code), expiresAt })
    .onConflictDoUpdate({
      target: accountActivations.accountId,
      set: { codeHash: hashActivationCode(code), expiresAt, usedAt: null },
    });
  return { code, expiresAt };
}
