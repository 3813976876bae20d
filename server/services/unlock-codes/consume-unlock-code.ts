import { and, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { unlockCodes } from '../../../db/schema/card-jobs.ts';
import { ValidationError } from '../../errors.ts';
import { afterTransaction, type TxContext, withTransaction } from '../context.ts';
import { timeOf } from '../dates.ts';
import {
  maskEmail,
  maxFailedAttempts,
  normaliseUnlockCode,
  rateWindowMs,
  unlockCodeMatches,
} from './unlock-code-rules.ts';

/** The code that was used: which row, and where it had been sent (masked), for the job's audit. */
export interface ConsumedUnlockCode {
  id: string;
  sentTo: string;
}

const goal = 'your card can be unlocked';
const refuse = (message: string) => ValidationError.of([{ field: 'code', message }], goal);
const askAgain = 'Ask for a new code.';

/** How many recent codes no longer in force are checked, to say why a code does not work. */
const recentChecked = 3;

/**
 * Self-service unlock, second step, inside the transaction that creates the unlock job:
 * accepts only an unused, unexpired code of `personId` that has not been killed by wrong
 * codes, and marks it used in the caller's transaction (its row locked, so two uses at once
 * get one success; if the caller's change rolls back, the code is unused again).
 *
 * Refuses with a ValidationError on field `code`: not 8 digits (spaces are removed), wrong,
 * expired, used, or killed. A wrong code counts against every open code of the person, and
 * the count is kept even though the caller's transaction rolls back on the refusal: it is
 * written after that transaction ends (`afterTransaction`). The 5th wrong code kills every
 * open code of the person.
 */
export async function consumeUnlockCode(
  tx: TxContext,
  input: { personId: string; code: string },
): Promise<ConsumedUnlockCode> {
  const judged = await judgeUnlockCode(tx, input);
  if ('used' in judged) return judged.used;
  const { wrong } = judged;
  if (wrong) {
    afterTransaction(tx, (ctx) =>
      withTransaction(ctx, (after) => countWrongCode(after, input.personId, wrong)),
    );
  }
  throw judged.refusal;
}

/**
 * As consumeUnlockCode, for a caller that commits its transaction on a refusal too (the
 * unlock job's, which then refuses): the code's use, or a wrong code's count, is written in
 * the caller's transaction while the code rows are locked, so the next attempt, waiting on
 * that lock, sees the count. Counting after the transaction instead let attempts made at the
 * same moment be tried before any was counted: twenty at once tried nine wrong codes, not five.
 * Returns the refusal instead of throwing it; the caller commits, then throws it.
 */
export async function useUnlockCode(
  tx: TxContext,
  input: { personId: string; code: string },
): Promise<ConsumedUnlockCode | { refusal: ValidationError }> {
  const judged = await judgeUnlockCode(tx, input);
  if ('used' in judged) return judged.used;
  if (judged.wrong) await countWrongCode(tx, input.personId, judged.wrong);
  return { refusal: judged.refusal };
}

type Judgement =
  | { used: ConsumedUnlockCode }
  | {
      refusal: ValidationError /** The open codes a wrong code counts against. */;
      wrong?: string[];
    };

async function judgeUnlockCode(
  tx: TxContext,
  input: { personId: string; code: string },
): Promise<Judgement> {
  const code = normaliseUnlockCode(input.code);
  if (!code) return { refusal: refuse('Enter the 8-digit code from the email, digits only.') };
  const now = tx.now();
  const open = await tx.db
    .select({
      id: unlockCodes.id,
      email: unlockCodes.email,
      codeHash: unlockCodes.codeHash,
      failedAttempts: unlockCodes.failedAttempts,
    })
    .from(unlockCodes)
    .where(
      and(
        eq(unlockCodes.personId, input.personId),
        isNull(unlockCodes.usedAt),
        gt(unlockCodes.expiresAt, now),
        lt(unlockCodes.failedAttempts, maxFailedAttempts),
      ),
    )
    .orderBy(desc(unlockCodes.createdAt))
    .for('update');
  for (const row of open) {
    if (await unlockCodeMatches(row.codeHash, code)) {
      await tx.db.update(unlockCodes).set({ usedAt: now }).where(eq(unlockCodes.id, row.id));
      return { used: { id: row.id, sentTo: maskEmail(row.email) } };
    }
  }

  // Not a code in force: one of the person's recent codes, used, expired or killed, is told
  // as such (and is no guess); anything else is a wrong code.
  const why = await whyNotInForce(tx, input.personId, code, now);
  if (why) return { refusal: refuse(why) };
  if (open.length === 0) {
    return {
      refusal: refuse(
        `That is not a code in force for you: codes work once, for 15 minutes. ${askAgain}`,
      ),
    };
  }
  const failures = Math.max(...open.map((r) => r.failedAttempts)) + 1;
  const wrong = open.map((r) => r.id);
  const left = maxFailedAttempts - failures;
  if (left <= 0) {
    return {
      wrong,
      refusal: refuse(
        `That is not the code we sent, and ${maxFailedAttempts} wrong codes have now been entered: your codes no longer work. ${askAgain}`,
      ),
    };
  }
  return {
    wrong,
    refusal: refuse(
      `That is not the code we sent. Check the email and try again (${left} ${left === 1 ? 'try' : 'tries'} left).`,
    ),
  };
}

/** Why a code that matches one of the person's recent codes no longer works, or null. */
async function whyNotInForce(
  tx: TxContext,
  personId: string,
  code: string,
  now: Date,
): Promise<string | null> {
  const since = new Date(now.getTime() - 2 * rateWindowMs);
  const recent = await tx.db
    .select({
      codeHash: unlockCodes.codeHash,
      usedAt: unlockCodes.usedAt,
      expiresAt: unlockCodes.expiresAt,
      failedAttempts: unlockCodes.failedAttempts,
    })
    .from(unlockCodes)
    .where(
      and(
        eq(unlockCodes.personId, personId),
        gt(unlockCodes.createdAt, since),
        or(
          isNotNull(unlockCodes.usedAt),
          lte(unlockCodes.expiresAt, now),
          gte(unlockCodes.failedAttempts, maxFailedAttempts),
        ),
      ),
    )
    .orderBy(desc(unlockCodes.createdAt))
    .limit(recentChecked);
  for (const row of recent) {
    if (!(await unlockCodeMatches(row.codeHash, code))) continue;
    if (row.usedAt) return `That code has been used already: each code works once. ${askAgain}`;
    if (row.failedAttempts >= maxFailedAttempts) {
      return `That code no longer works: ${maxFailedAttempts} wrong codes were entered after it was sent. ${askAgain}`;
    }
    return `That code expired at ${timeOf(row.expiresAt)} (UK time): codes work for 15 minutes. ${askAgain}`;
  }
  return null;
}

/**
 * Counts one wrong code against the codes that were open when it was entered; once any has
 * reached the limit, every open code of the person is killed.
 */
async function countWrongCode(tx: TxContext, personId: string, ids: string[]) {
  const counted = await tx.db
    .update(unlockCodes)
    .set({ failedAttempts: sql`${unlockCodes.failedAttempts} + 1` })
    .where(inArray(unlockCodes.id, ids))
    .returning({ failedAttempts: unlockCodes.failedAttempts });
  if (!counted.some((r) => r.failedAttempts >= maxFailedAttempts)) return;
  await tx.db
    .update(unlockCodes)
    .set({ failedAttempts: sql`greatest(${unlockCodes.failedAttempts}, ${maxFailedAttempts})` })
    .where(
      and(
        eq(unlockCodes.personId, personId),
        isNull(unlockCodes.usedAt),
        gt(unlockCodes.expiresAt, tx.now()),
      ),
    );
}
