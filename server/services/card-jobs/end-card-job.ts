import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import { cardJobSteps, cardJobs } from '../../../db/schema/card-jobs.ts';
import { cardFlags, cards, certificates } from '../../../db/schema/cards.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { transitionCardTx } from '../cards/transition-card.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { refreshCardExpiry } from '../pki/certificate-effects.ts';
import { revokeCertificate } from '../pki/revoke-certificate.ts';
import { type JobStep, stepWords } from './job-steps.ts';

/** A job row as the ending verbs need it. */
export interface EndingJob {
  id: string;
  kind: 'issue' | 'renew' | 'unlock';
  cardId: string;
  personId: string;
  issuedLocked: boolean;
  step: string | null;
}

/** How long a started job may go without a step, unless configured (CARD_JOB_STALE_SECONDS). */
export const defaultStaleSeconds = 60;

/**
 * Ends a job as failed, with what happened, leaving what the next job can recover from: the
 * certificates it issued that never became current are revoked as cessationOfOperation (keys
 * that never reached the card, or reached it in a job that did not finish, are not trusted);
 * the card keeps its state; which management key and PUK the card may hold stay recorded as
 * candidates for the next job.
 */
export async function failJob(tx: TxContext, job: EndingJob, failure: string, during?: string) {
  const now = tx.now();
  const issued = await tx.db
    .select({ id: certificates.id, serialNumber: certificates.serialNumber })
    .from(certificates)
    .where(
      and(
        eq(certificates.jobId, job.id),
        eq(certificates.current, false),
        isNull(certificates.revokedAt),
      ),
    );
  for (const cert of issued) {
    await revokeCertificate(tx, { certificateId: cert.id, reason: 'cessationOfOperation' });
  }
  await tx.db
    .update(cardJobs)
    .set({
      state: 'failed',
      failure: failure.slice(0, 500),
      finishedAt: now,
      lastStepAt: now,
      sealedPukCandidates: null,
    })
    .where(eq(cardJobs.id, job.id));
  await tx.db.insert(cardJobSteps).values({
    jobId: job.id,
    step: 'failed',
    outcome: 'failed',
    detail: {
      error: failure.slice(0, 500),
      ...(during ? { during } : {}),
      ...(issued.length ? { certificatesRevoked: issued.map((c) => c.serialNumber) } : {}),
    },
    at: now,
  });
  const [card] = await tx.db
    .select({ serial: cards.serial })
    .from(cards)
    .where(eq(cards.id, job.cardId));
  await recordAuditEvent(tx, {
    action: 'card.job_failed',
    subjectType: 'card',
    subjectId: card?.serial ?? null,
    summary: {
      serial: card?.serial ?? null,
      jobId: job.id,
      kind: job.kind,
      failure: failure.slice(0, 500),
      ...(during ? { during } : {}),
      ...(issued.length
        ? {
            certificatesRevoked: issued.map((c) => c.serialNumber),
            revocationReason: 'cessationOfOperation',
          }
        : {}),
    },
  });
}

const jobColumns = {
  id: cardJobs.id,
  kind: cardJobs.kind,
  cardId: cardJobs.cardId,
  personId: cardJobs.personId,
  issuedLocked: cardJobs.issuedLocked,
  step: cardJobs.step,
  state: cardJobs.state,
  expiresAt: cardJobs.expiresAt,
  lastStepAt: cardJobs.lastStepAt,
};

/** Why a live job is over by the clock, or null while it may go on. */
export function lapsed(
  job: { state: string; expiresAt: Date; lastStepAt: Date | null; step: string | null },
  now: Date,
  staleSeconds: number,
): string | null {
  if (job.state === 'pending' && job.expiresAt <= now) {
    return 'Nobody started it in time: the workstation’s agent never picked it up. Ask again.';
  }
  if (
    job.state === 'running' &&
    job.lastStepAt &&
    job.lastStepAt.getTime() + staleSeconds * 1000 <= now.getTime()
  ) {
    const during = job.step ? ` after “${stepWords[job.step as JobStep] ?? job.step}”` : '';
    return `The workstation’s agent stopped reporting${during}. Put the card back in the reader and ask again: the next job picks up from what the card holds.`;
  }
  return null;
}

/** Fails the card's live jobs that have lapsed, in the caller's transaction. */
export async function failStaleJobsOfCard(
  tx: TxContext,
  cardId: string,
  staleSeconds = defaultStaleSeconds,
) {
  const live = await tx.db
    .select(jobColumns)
    .from(cardJobs)
    .where(and(eq(cardJobs.cardId, cardId), inArray(cardJobs.state, ['pending', 'running'])))
    .for('update');
  for (const job of live) {
    const why = lapsed(job, tx.now(), staleSeconds);
    if (why) await failJob(tx, job, why, job.step ?? undefined);
  }
}

/**
 * Fails every lapsed job (the server's sweep, every half minute): a job whose agent died ends
 * as failed with its certificates revoked, though nobody looks at it again.
 */
export async function failLapsedJobs(ctx: ServiceContext, staleSeconds = defaultStaleSeconds) {
  const now = ctx.now();
  const candidates = await ctx.db
    .select({ cardId: cardJobs.cardId })
    .from(cardJobs)
    .where(
      or(
        and(eq(cardJobs.state, 'pending'), lt(cardJobs.expiresAt, now)),
        and(
          eq(cardJobs.state, 'running'),
          lt(cardJobs.lastStepAt, new Date(now.getTime() - staleSeconds * 1000)),
        ),
      ),
    )
    .limit(100);
  for (const { cardId } of candidates) {
    await withTransaction(ctx, (tx) => failStaleJobsOfCard(tx, cardId, staleSeconds));
  }
  return candidates.length;
}

/**
 * Ends a job that did everything: its certificates become the card's current ones and those
 * they replace are revoked as superseded; the card moves (issue, activate, unlock, renew) as
 * the lifecycle table says, as the server's own move on the operator's request checked when
 * the job was made.
 */
export async function completeJob(tx: TxContext, job: EndingJob) {
  const now = tx.now();
  const [card] = await tx.db
    .select({ serial: cards.serial, state: cards.state })
    .from(cards)
    .where(eq(cards.id, job.cardId));
  if (!card) throw new Error('the job’s card is gone');
  const cause = `card_job:${job.id}`;
  const superseded: string[] = [];
  if (job.kind === 'issue' || job.kind === 'renew') {
    // The job's certificates take their slots: those current there step down (and are revoked
    // as superseded), then the job's become current.
    const fresh = await tx.db
      .select({ slot: certificates.slot })
      .from(certificates)
      .where(and(eq(certificates.jobId, job.id), isNull(certificates.revokedAt)));
    const slots = fresh.map((c) => c.slot ?? '');
    const old = await tx.db
      .update(certificates)
      .set({ current: false })
      .where(
        and(
          eq(certificates.cardId, job.cardId),
          eq(certificates.current, true),
          inArray(certificates.slot, slots),
        ),
      )
      .returning({
        id: certificates.id,
        serialNumber: certificates.serialNumber,
        revokedAt: certificates.revokedAt,
      });
    for (const cert of old) {
      if (!cert.revokedAt) {
        await revokeCertificate(tx, { certificateId: cert.id, reason: 'superseded' });
        superseded.push(cert.serialNumber);
      }
    }
    await tx.db
      .update(certificates)
      .set({ current: true })
      .where(and(eq(certificates.jobId, job.id), isNull(certificates.revokedAt)));
  }
  if (job.kind === 'issue') {
    await tx.db
      .update(cards)
      .set({ personId: job.personId, expiresAt: null, updatedAt: now })
      .where(eq(cards.id, job.cardId));
    await transitionCardTx(tx, { serial: card.serial, verb: 'issue' }, { actor: 'system', cause });
    if (!job.issuedLocked) {
      await transitionCardTx(
        tx,
        { serial: card.serial, verb: 'activate' },
        { actor: 'system', cause },
      );
    }
  } else if (job.kind === 'renew') {
    await transitionCardTx(tx, { serial: card.serial, verb: 'renew' }, { actor: 'system', cause });
  } else {
    await transitionCardTx(tx, { serial: card.serial, verb: 'unlock' }, { actor: 'system', cause });
    // The PIN is no longer blocked nor on its last try: what a reader saw is answered.
    await tx.db
      .update(cardFlags)
      .set({ resolvedAt: now })
      .where(
        and(
          eq(cardFlags.cardSerial, card.serial),
          inArray(cardFlags.kind, ['pin_blocked', 'pin_last_try']),
          isNull(cardFlags.resolvedAt),
        ),
      );
  }
  if (job.kind !== 'unlock') await refreshCardExpiry(tx, job.cardId);
  await tx.db
    .update(cardJobs)
    .set({
      state: 'succeeded',
      finishedAt: now,
      lastStepAt: now,
      step: 'completed',
      sealedPukCandidates: null,
    })
    .where(eq(cardJobs.id, job.id));
  await recordAuditEvent(tx, {
    action: 'card.job_completed',
    subjectType: 'card',
    subjectId: card.serial,
    summary: {
      serial: card.serial,
      jobId: job.id,
      kind: job.kind,
      ...(superseded.length
        ? { certificatesRevoked: superseded, revocationReason: 'superseded' }
        : {}),
    },
  });
}
