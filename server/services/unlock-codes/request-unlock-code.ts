import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { unlockCodes } from '../../../db/schema/card-jobs.ts';
import { cards } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import { ConflictError, DomainError, ForbiddenError, RateLimitedError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { timeOf } from '../dates.ts';
import { MailUnavailableError } from '../mail/mailer.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { unlockCodeMail } from './unlock-code-mail.ts';
import {
  codesPerHour,
  codeValidityMs,
  hashUnlockCode,
  maskEmail,
  newUnlockCode,
  rateWindowMs,
  unlockableStates,
} from './unlock-code-rules.ts';

/** What the holder is told: where the code went (masked) and until when it works. */
export interface UnlockCodeSent {
  sentTo: string;
  expiresAt: Date;
}

const deskAdvice = 'or ask your RA team to unlock your card at the desk';

/**
 * Self-service unlock, first step: emails the signed-in holder a one-time 8-digit code for
 * their own card (`cards:unlock-own`; a card of theirs blocked, waiting for its first
 * passcode, or active), to the work email registered for them. Only the code's argon2id hash
 * is kept; it works for 15 minutes, once (`consumeUnlockCode`). At most 5 codes an hour per
 * person and per address (429 saying when to ask again).
 *
 * The code's row is written unusable (it expires as it is made), the mail is sent outside any
 * transaction (a slow mail server holds no lock), and only then is the row made usable, in
 * the transaction that audits `card.unlock_code_sent`. A mail that fails deletes the row
 * (503), and a crash in between leaves a row nobody can use: nothing is half-done.
 */
export async function requestUnlockCode(ctx: ServiceContext): Promise<UnlockCodeSent> {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  if (!actor.permissions.includes('cards:unlock-own')) {
    throw new ForbiddenError('Your roles do not let you unlock your own card.');
  }
  const { mailer } = ctx;
  if (!mailer) {
    throw new DomainError(
      'UNAVAILABLE',
      `This server cannot send email, so no code can be sent: ${deskAdvice}.`,
    );
  }
  const personId = await personIdOfActor(ctx);
  if (!personId) {
    throw new ConflictError(
      'Your account is not linked to a person record, so there is no card of yours to unlock. Ask your RA team.',
    );
  }
  const code = newUnlockCode();
  const codeHash = await hashUnlockCode(code);
  const reserved = await withTransaction(ctx, (tx) => reserveCode(tx, personId, codeHash));
  const expiresAt = new Date(reserved.createdAt.getTime() + codeValidityMs);

  try {
    await mailer.send(unlockCodeMail(reserved.email, code, expiresAt));
  } catch (err) {
    await ctx.db.delete(unlockCodes).where(eq(unlockCodes.id, reserved.id));
    if (err instanceof MailUnavailableError) {
      throw new DomainError(
        'UNAVAILABLE',
        `${err.message} No code was sent: try again in a few minutes, ${deskAdvice}.`,
      );
    }
    throw err;
  }

  const sentTo = maskEmail(reserved.email);
  return withTransaction(ctx, async (tx) => {
    await tx.db.update(unlockCodes).set({ expiresAt }).where(eq(unlockCodes.id, reserved.id));
    await recordAuditEvent(tx, {
      action: 'card.unlock_code_sent',
      subjectType: 'person',
      subjectId: personId,
      summary: { sentTo, expiresAt: expiresAt.toISOString(), unlockCodeId: reserved.id },
    });
    return { sentTo, expiresAt };
  });
}

/** Serialises the counting of one person's, and one address's, codes across processes. */
const lockFor = (key: string) => sql`select pg_advisory_xact_lock(7305020, hashtext(${key}::text))`;

/**
 * Checks the person may have a code now and writes its row, not yet usable. The rate limits
 * count every row of the hour, those being sent included, under a lock per person and per
 * address, so requests at the same moment cannot both slip under the limit.
 */
async function reserveCode(tx: TxContext, personId: string, codeHash: string) {
  const now = tx.now();
  await tx.db.execute(lockFor(`person:${personId}`));
  const [person] = await tx.db
    .select({ email: people.email })
    .from(people)
    .where(eq(people.id, personId));
  const [card] = await tx.db
    .select({ id: cards.id })
    .from(cards)
    .where(and(eq(cards.personId, personId), inArray(cards.state, [...unlockableStates])))
    .limit(1);
  if (!person || !card) {
    throw new ConflictError(
      'You hold no card that can be unlocked: only a card that is blocked, waiting for its first passcode, or active. Ask your RA team.',
    );
  }
  const email = person.email?.trim();
  if (!email) {
    throw new ConflictError(
      'No work email is registered for you, so no code can be sent. Ask your RA team to add your work email, or to unlock your card at the desk.',
    );
  }
  await tx.db.execute(lockFor(`email:${email.toLowerCase()}`));
  const since = new Date(now.getTime() - rateWindowMs);
  await assertUnderLimit(
    tx,
    eq(unlockCodes.personId, personId),
    since,
    `You have asked for ${codesPerHour} codes in the last hour.`,
  );
  await assertUnderLimit(
    tx,
    sql`lower(${unlockCodes.email}) = ${email.toLowerCase()}`,
    since,
    `${codesPerHour} codes have been sent to ${maskEmail(email)} in the last hour.`,
  );
  const [row] = await tx.db
    .insert(unlockCodes)
    // Expired as it is made: usable only once the mail has gone (requestUnlockCode).
    .values({ personId, email, codeHash, createdAt: now, expiresAt: now })
    .returning({ id: unlockCodes.id, createdAt: unlockCodes.createdAt });
  if (!row) throw new Error('the unlock code was not stored');
  return { ...row, email };
}

/** Refuses with 429 when `codesPerHour` rows match `which` in the window, saying when to ask again. */
async function assertUnderLimit(
  tx: TxContext,
  which: ReturnType<typeof eq>,
  since: Date,
  said: string,
) {
  const recent = await tx.db
    .select({ createdAt: unlockCodes.createdAt })
    .from(unlockCodes)
    .where(and(which, gt(unlockCodes.createdAt, since)))
    .orderBy(desc(unlockCodes.createdAt))
    .limit(codesPerHour);
  const oldest = recent[codesPerHour - 1];
  if (!oldest) return;
  const freeAt = new Date(oldest.createdAt.getTime() + rateWindowMs);
  const seconds = Math.max(1, Math.ceil((freeAt.getTime() - tx.now().getTime()) / 1000));
  throw new RateLimitedError(
    `${said} You can ask for another at ${timeOf(freeAt)} (UK time).`,
    seconds,
  );
}
