import { timingSafeEqual } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { cardJobSteps, cardJobs } from '../../../db/schema/card-jobs.ts';
import { cards } from '../../../db/schema/cards.ts';
import {
  CardSecrets,
  challengeLength,
  encryptChallenge,
  isManagementAlgorithm,
  type ManagementAlgorithm,
  setManagementKeyApdu,
} from '../../../pki/card/card-secrets.ts';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { issueCardCertificate } from '../pki/issue-card-certificate.ts';
import { openTransportKey } from '../stock/transport-key.ts';
import { nonceHashOf, requireCardSecrets } from './create-card-job.ts';
import { completeJob, defaultStaleSeconds, failJob, lapsed } from './end-card-job.ts';
import { assertFreshKeys } from './fresh-keys.ts';
import { type JobStep, nextSteps } from './job-steps.ts';

/** The job as the agent gets it when it starts. */
export interface AgentJob {
  id: string;
  kind: 'issue' | 'renew' | 'unlock';
  cardSerial: string;
  issuedLocked: boolean;
  selfService: boolean;
  managementAlgorithm: ManagementAlgorithm;
  keyAlgorithm: 'rsa2048';
}

export type StepInput =
  | { step: 'pin_verified' }
  | { step: 'management_challenge'; challenge: string }
  | { step: 'management_authenticated'; candidate: number }
  | { step: 'management_key_apdu' }
  | { step: 'management_key_set' }
  | { step: 'keys_generated'; publicKeys: { '9a': string; '9c': string } }
  | { step: 'certificates_written' }
  | { step: 'puk_requested' }
  | { step: 'pin_set'; candidate: number }
  | { step: 'puk_changed'; candidate?: number | undefined }
  | { step: 'completed' }
  | { step: 'failed'; error: string; during?: string | undefined };

/** What the CA needs to sign (from the server's configuration and origin). */
export interface IssuingSettings {
  baseUrl: string;
  validityDays: number;
  upnDomain: string;
  /** Opens the stock's transport keys (sealed under the CA key passphrase). */
  caKeyPassphrase: string | undefined;
  staleSeconds?: number;
}

const factoryPuk = '12345678';
const noSuchJob = 'There is no such job for this workstation.';

async function lockJob(tx: TxContext, jobId: string) {
  const workstation = tx.workstation;
  if (!workstation || !/^[0-9a-f-]{36}$/i.test(jobId)) throw new NotFoundError(noSuchJob);
  const [job] = await tx.db.select().from(cardJobs).where(eq(cardJobs.id, jobId)).for('update');
  // Another workstation's job is answered as one that does not exist.
  if (!job || job.workstationId !== workstation.id) throw new NotFoundError(noSuchJob);
  return job;
}

async function lockCard(tx: TxContext, cardId: string) {
  const [card] = await tx.db.select().from(cards).where(eq(cards.id, cardId)).for('update');
  if (!card) throw new NotFoundError('The job’s card is gone.');
  return card;
}

async function recordStep(
  tx: TxContext,
  jobId: string,
  step: JobStep,
  detail: Record<string, unknown> = {},
  outcome: 'ok' | 'failed' = 'ok',
) {
  const now = tx.now();
  await tx.db.insert(cardJobSteps).values({ jobId, step, outcome, detail, at: now });
  await tx.db
    .update(cardJobs)
    .set({
      step,
      lastStepAt: now,
      ...(step === 'started' ? { startedAt: now, state: 'running' } : {}),
    })
    .where(eq(cardJobs.id, jobId));
}

/**
 * The agent starts a job: its workstation's, pending, in time, with the nonce the page handed
 * it, for the card in its reader. A refusal leaves the job pending (the right card may yet be
 * put in), except a job past its time, which is failed.
 */
export function startCardJob(
  ctx: ServiceContext,
  jobId: string,
  input: { nonce: string; card: { serial: string; atr?: string | null | undefined } },
  staleSeconds = defaultStaleSeconds,
): Promise<AgentJob> {
  requireCardSecrets(ctx);
  return withTransaction<AgentJob | { lapsed: string }>(ctx, async (tx) => {
    const job = await lockJob(tx, jobId);
    const card = await lockCard(tx, job.cardId);
    const why = lapsed(job, tx.now(), staleSeconds);
    if (why) {
      await failJob(tx, job, why);
      return { lapsed: why };
    }
    if (job.state !== 'pending') {
      throw new DomainError(
        'CONFLICT',
        `This job was started already (it is ${job.state}): a job runs once. Ask for a new one.`,
      );
    }
    const given = Buffer.from(nonceHashOf(input.nonce));
    const kept = Buffer.from(job.nonceHash);
    if (given.length !== kept.length || !timingSafeEqual(given, kept)) {
      throw new ConflictError(
        'This is not the job’s nonce: start it from the page that asked for it.',
      );
    }
    if (input.card.serial.toLowerCase() !== card.serial.toLowerCase()) {
      throw new ConflictError(
        `This job is for card ${card.serial}; the reader holds card ${input.card.serial}. Put card ${card.serial} in the reader and start again.`,
        { expected: card.serial, found: input.card.serial },
      );
    }
    await recordStep(tx, job.id, 'started', { cardSerial: card.serial });
    await recordAuditEvent(tx, {
      action: 'card.job_started',
      subjectType: 'card',
      subjectId: card.serial,
      summary: { serial: card.serial, jobId: job.id, kind: job.kind },
    });
    const algorithm = card.managementAlgorithm;
    return {
      id: job.id,
      kind: job.kind,
      cardSerial: card.serial,
      issuedLocked: job.issuedLocked,
      selfService: job.selfService,
      managementAlgorithm: isManagementAlgorithm(algorithm) ? algorithm : 'tdes',
      keyAlgorithm: 'rsa2048',
    } satisfies AgentJob;
  }).then((r): AgentJob => {
    if ('lapsed' in r) throw new ConflictError(r.lapsed);
    return r;
  });
}

type CardRow = Awaited<ReturnType<typeof lockCard>>;

/** The management keys the card may hold, likeliest first, and which each is. */
async function managementCandidates(
  secrets: CardSecrets,
  card: CardRow,
  caKeyPassphrase: string | undefined,
): Promise<{ which: 'transport' | 'derived'; key: Buffer }[]> {
  const algorithm = isManagementAlgorithm(card.managementAlgorithm)
    ? card.managementAlgorithm
    : 'tdes';
  const derived = { which: 'derived' as const, key: secrets.managementKey(card.serial, algorithm) };
  const transport = async () => {
    if (!card.encryptedTransportKey) return [];
    if (!caKeyPassphrase) {
      throw new DomainError(
        'UNAVAILABLE',
        'The card’s transport key cannot be opened: the server has no CA key passphrase. Ask whoever runs the server.',
      );
    }
    const key = await openTransportKey(card.encryptedTransportKey, caKeyPassphrase, card.serial);
    return [{ which: 'transport' as const, key }];
  };
  if (card.managementKey === 'transport') return transport();
  if (card.managementKey === 'derived') return [derived];
  return [derived, ...(await transport())];
}

/** The PUKs the card may hold, likeliest first. */
function pukCandidates(secrets: CardSecrets, card: CardRow): string[] {
  const list = [card.encryptedPuk ? secrets.openPuk(card.encryptedPuk, card.serial) : factoryPuk];
  if (card.encryptedPendingPuk) list.push(secrets.openPuk(card.encryptedPendingPuk, card.serial));
  return [...new Set(list)];
}

const hex = /^([0-9a-f]{2})+$/i;

/**
 * One step of a running job, reported by its agent: checked against the kind's order
 * (nextSteps), recorded, and answered with what the next card command needs.
 */
export function recordJobStep(
  ctx: ServiceContext,
  jobId: string,
  input: StepInput,
  settings: IssuingSettings,
): Promise<Record<string, unknown>> {
  const secrets = requireCardSecrets(ctx);
  const staleSeconds = settings.staleSeconds ?? defaultStaleSeconds;
  return withTransaction(ctx, async (tx) => {
    const job = await lockJob(tx, jobId);
    const why = lapsed(job, tx.now(), staleSeconds);
    if (why) {
      await failJob(tx, job, why, job.step ?? undefined);
      return { lapsed: why };
    }
    if (job.state !== 'running') {
      throw new ConflictError(
        job.state === 'pending'
          ? 'This job has not been started.'
          : `This job has ended (${job.state}): nothing more is recorded for it.`,
      );
    }
    if (input.step === 'failed') {
      await failJob(tx, job, input.error, input.during);
      return { job: { id: job.id, state: 'failed' } };
    }
    const last = (job.step ?? 'started') as JobStep;
    const allowed = nextSteps(job.kind, job.selfService, last);
    if (!allowed.includes(input.step)) {
      throw new ConflictError(
        `Step ${input.step} cannot follow ${last} in a job to ${job.kind} a card: next is ${allowed.join(' or ') || 'nothing'}.`,
      );
    }
    const card = await lockCard(tx, job.cardId);
    const algorithm: ManagementAlgorithm = isManagementAlgorithm(card.managementAlgorithm)
      ? card.managementAlgorithm
      : 'tdes';
    const now = tx.now();
    switch (input.step) {
      case 'pin_verified':
        await recordStep(tx, job.id, input.step);
        return {};
      case 'management_challenge': {
        const challenge = Buffer.from(hex.test(input.challenge) ? input.challenge : '', 'hex');
        if (challenge.length !== challengeLength(algorithm)) {
          throw ValidationError.of([
            {
              field: 'challenge',
              message: `must be the card's ${challengeLength(algorithm)}-byte challenge in hex`,
            },
          ]);
        }
        const candidates = await managementCandidates(secrets, card, settings.caKeyPassphrase);
        // One challenge per key the card may hold, and one more: answering without limit
        // would let whoever holds the workstation's credential encrypt anything under the
        // card's key while the job runs.
        const asked = await tx.db
          .select({ id: cardJobSteps.id })
          .from(cardJobSteps)
          .where(
            and(eq(cardJobSteps.jobId, job.id), eq(cardJobSteps.step, 'management_challenge')),
          );
        if (asked.length >= candidates.length + 1) {
          await failJob(
            tx,
            job,
            'The card refused every management key the server holds for it: ask the RA team to check the card.',
            'management_challenge',
          );
          return {
            lapsed:
              'The card refused every management key the server holds for it: the job was ended.',
          };
        }
        await recordStep(tx, job.id, input.step, { candidates: candidates.length });
        return {
          responses: candidates.map((c) =>
            encryptChallenge(algorithm, c.key, challenge).toString('hex'),
          ),
        };
      }
      case 'management_authenticated': {
        const candidates = await managementCandidates(secrets, card, settings.caKeyPassphrase);
        const chosen = candidates[input.candidate];
        if (!chosen)
          throw ValidationError.of([
            { field: 'candidate', message: 'is not one of the responses given' },
          ]);
        await tx.db
          .update(cards)
          .set({ managementKey: chosen.which, updatedAt: now })
          .where(eq(cards.id, card.id));
        await recordStep(tx, job.id, input.step, { key: chosen.which });
        return { changeManagementKey: chosen.which !== 'derived' };
      }
      case 'management_key_apdu': {
        // Nothing to change: the card proved it holds its own key.
        if (card.managementKey === 'derived') return { apdu: null };
        await tx.db
          .update(cards)
          .set({ managementKey: 'changing', updatedAt: now })
          .where(eq(cards.id, card.id));
        await recordStep(tx, job.id, input.step);
        return {
          apdu: setManagementKeyApdu(
            algorithm,
            secrets.managementKey(card.serial, algorithm),
          ).toString('hex'),
        };
      }
      case 'management_key_set':
        // The transport key is worth nothing now: it is forgotten.
        await tx.db
          .update(cards)
          .set({ managementKey: 'derived', encryptedTransportKey: null, updatedAt: now })
          .where(eq(cards.id, card.id));
        await recordStep(tx, job.id, input.step);
        return {};
      case 'keys_generated': {
        if (card.managementKey !== 'derived') {
          throw new ConflictError(
            'The card must hold its own management key before its keys are made.',
          );
        }
        await assertFreshKeys(
          tx,
          { cardId: card.id, personId: job.personId },
          {
            '9a': Buffer.from(input.publicKeys['9a'], 'base64'),
            '9c': Buffer.from(input.publicKeys['9c'], 'base64'),
          },
        );
        const certificates: Record<string, string> = {};
        const serials: Record<string, string> = {};
        for (const [slot, profile] of [
          ['9a', 'authentication'],
          ['9c', 'signature'],
        ] as const) {
          const spki = Buffer.from(input.publicKeys[slot], 'base64');
          const issued = await issueCardCertificate(tx, {
            cardId: card.id,
            personId: job.personId,
            profile,
            subjectPublicKeyInfo: spki,
            baseUrl: settings.baseUrl,
            validityDays: settings.validityDays,
            upnDomain: settings.upnDomain,
            jobId: job.id,
          });
          certificates[slot] = issued.certificate.toString('base64');
          serials[slot] = issued.serialNumber;
        }
        await recordStep(tx, job.id, input.step, { certificates: serials });
        return { certificates };
      }
      case 'certificates_written':
        await recordStep(tx, job.id, input.step);
        return {};
      case 'puk_requested': {
        const puks = pukCandidates(secrets, card);
        const newPuk = CardSecrets.newPuk();
        // The new PUK stays with the job until the card shows which PUK it holds (pin_set):
        // the card's pending PUK, from a job that failed after the card took it, may be the
        // card's own, and is not replaced before then.
        await tx.db
          .update(cardJobs)
          .set({
            sealedPukCandidates: secrets.sealPuk(
              JSON.stringify({ puks, newPuk }),
              `${card.serial}:${job.id}`,
            ),
          })
          .where(eq(cardJobs.id, job.id));
        await recordStep(tx, job.id, input.step, { candidates: puks.length });
        return { puks, newPuk };
      }
      case 'pin_set': {
        const offered = job.sealedPukCandidates
          ? (JSON.parse(secrets.openPuk(job.sealedPukCandidates, `${card.serial}:${job.id}`)) as {
              puks: string[];
              newPuk: string;
            })
          : { puks: [], newPuk: undefined };
        const used = offered.puks[input.candidate];
        if (used === undefined || offered.newPuk === undefined)
          throw ValidationError.of([
            { field: 'candidate', message: 'is not one of the PUKs given' },
          ]);
        // The card showed it holds this PUK: it is the card's PUK until the new one, pending
        // from now on, is confirmed.
        await tx.db
          .update(cards)
          .set({
            encryptedPuk: secrets.sealPuk(used, card.serial),
            encryptedPendingPuk: secrets.sealPuk(offered.newPuk, card.serial),
            updatedAt: now,
          })
          .where(eq(cards.id, card.id));
        await recordStep(tx, job.id, input.step);
        return {};
      }
      case 'puk_changed':
        await tx.db
          .update(cards)
          .set({
            encryptedPuk: card.encryptedPendingPuk,
            encryptedPendingPuk: null,
            updatedAt: now,
          })
          .where(eq(cards.id, card.id));
        await recordStep(tx, job.id, input.step);
        return {};
      case 'completed':
        await recordStep(tx, job.id, input.step);
        await completeJob(tx, job);
        return { job: { id: job.id, state: 'succeeded' } };
    }
  }).then((r) => {
    if ('lapsed' in r && typeof r.lapsed === 'string') throw new ConflictError(r.lapsed);
    return r;
  });
}
