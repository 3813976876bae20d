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
import { issueCardCertificates } from '../pki/issue-card-certificate.ts';
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

/**
 * The job and its card, both locked, in one query: every call of the agent's takes both, and a
 * job's steps are many. Another workstation's job is answered as one that does not exist.
 */
async function lockJobAndCard(tx: TxContext, jobId: string) {
  const workstation = tx.workstation;
  if (!workstation || !/^[0-9a-f-]{36}$/i.test(jobId)) throw new NotFoundError(noSuchJob);
  const [row] = await tx.db
    .select({ job: cardJobs, card: cards })
    .from(cardJobs)
    .innerJoin(cards, eq(cards.id, cardJobs.cardId))
    .where(eq(cardJobs.id, jobId))
    .for('update');
  if (!row || row.job.workstationId !== workstation.id) throw new NotFoundError(noSuchJob);
  return row;
}

type CardRow = (typeof cards)['$inferSelect'];
type JobRow = (typeof cardJobs)['$inferSelect'];

/**
 * The steps of one call, recorded together: their rows in one insert, the job's row and the
 * card's each updated once, with what the steps changed, before anything that ends the job
 * reads them. The steps read the copies here, kept up to date.
 */
class StepLog {
  private readonly rows: (typeof cardJobSteps)['$inferInsert'][] = [];
  private jobChanges: Partial<JobRow> = {};
  private cardChanges: Partial<CardRow> = {};

  constructor(
    private readonly tx: TxContext,
    private readonly job: JobRow,
    private readonly card: CardRow,
  ) {}

  add(step: JobStep, detail: Record<string, unknown> = {}) {
    const at = this.tx.now();
    this.rows.push({ jobId: this.job.id, step, outcome: 'ok', detail, at });
    this.changeJob({
      step,
      lastStepAt: at,
      ...(step === 'started' ? { startedAt: at, state: 'running' as const } : {}),
    });
  }

  changeJob(values: Partial<JobRow>) {
    Object.assign(this.job, values);
    Object.assign(this.jobChanges, values);
  }

  changeCard(values: Partial<CardRow>) {
    Object.assign(this.card, values);
    Object.assign(this.cardChanges, values);
  }

  /** Steps of `step` this call has added and not yet written. */
  unwritten(step: JobStep): number {
    return this.rows.filter((r) => r.step === step).length;
  }

  /** Writes what the steps did; `job: false` when the caller ends the job and writes its row. */
  async flush(options: { job?: boolean } = {}) {
    const writes: Promise<unknown>[] = [];
    if (this.rows.length) writes.push(this.tx.db.insert(cardJobSteps).values(this.rows.splice(0)));
    const job = this.jobChanges;
    this.jobChanges = {};
    if (options.job !== false && Object.keys(job).length)
      writes.push(this.tx.db.update(cardJobs).set(job).where(eq(cardJobs.id, this.job.id)));
    const card = this.cardChanges;
    this.cardChanges = {};
    if (Object.keys(card).length)
      writes.push(this.tx.db.update(cards).set(card).where(eq(cards.id, this.card.id)));
    // Independent of each other: on PostgreSQL they are pipelined, one round trip.
    await Promise.all(writes);
  }
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
    const { job, card } = await lockJobAndCard(tx, jobId);
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
    const log = new StepLog(tx, job, card);
    log.add('started', { cardSerial: card.serial });
    await log.flush();
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

/** At most this many steps in one call: what the agent folds together (docs/card-jobs.md). */
export const maxStepsPerCall = 4;

/**
 * Steps of a running job, reported by its agent in one call (one, or several it folds
 * together: a step whose answer it does not need goes with the next one), checked one by one
 * against the kind's order (nextSteps) and recorded in one transaction: all of them, or none
 * when one is refused. The answer holds every step's answer (they share no field): an issue's
 * keys_generated + puk_requested call brings back the certificates and the PUKs together.
 * `failed` may only come last, and its answer is the whole answer.
 */
export function recordJobSteps(
  ctx: ServiceContext,
  jobId: string,
  inputs: readonly StepInput[],
  settings: IssuingSettings,
): Promise<Record<string, unknown>> {
  const secrets = requireCardSecrets(ctx);
  const staleSeconds = settings.staleSeconds ?? defaultStaleSeconds;
  if (inputs.length < 1 || inputs.length > maxStepsPerCall) {
    throw ValidationError.of([
      { field: 'steps', message: `must hold 1 to ${maxStepsPerCall} steps` },
    ]);
  }
  if (inputs.slice(0, -1).some((i) => i.step === 'failed')) {
    throw ValidationError.of([{ field: 'steps', message: 'failed may only be the last step' }]);
  }
  return withTransaction(ctx, async (tx) => {
    const { job, card } = await lockJobAndCard(tx, jobId);
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
    const log = new StepLog(tx, job, card);
    let answer: Record<string, unknown> = {};
    for (const input of inputs) {
      // A step folded after `completed` finds the job ended, as it would in a call of its own.
      if (job.step === 'completed') {
        throw new ConflictError('This job has ended (succeeded): nothing more is recorded for it.');
      }
      if (input.step === 'failed') {
        await log.flush();
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
      const outcome = await recordStep(tx, { job, card, log, secrets, settings }, input);
      if ('lapsed' in outcome) return outcome;
      answer = { ...answer, ...outcome };
    }
    await log.flush();
    return answer;
  }).then((r) => {
    if ('lapsed' in r && typeof r.lapsed === 'string') throw new ConflictError(r.lapsed);
    return r;
  });
}

interface StepState {
  job: JobRow;
  card: CardRow;
  log: StepLog;
  secrets: CardSecrets;
  settings: IssuingSettings;
}

/** One step, in order: recorded in `log`, answered with what the next card command needs. */
async function recordStep(
  tx: TxContext,
  { job, card, log, secrets, settings }: StepState,
  input: Exclude<StepInput, { step: 'failed' }>,
): Promise<Record<string, unknown>> {
  const algorithm: ManagementAlgorithm = isManagementAlgorithm(card.managementAlgorithm)
    ? card.managementAlgorithm
    : 'tdes';
  const now = tx.now();
  switch (input.step) {
    case 'pin_verified':
      log.add(input.step);
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
        .where(and(eq(cardJobSteps.jobId, job.id), eq(cardJobSteps.step, 'management_challenge')));
      if (asked.length + log.unwritten('management_challenge') >= candidates.length + 1) {
        await log.flush();
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
      log.add(input.step, { candidates: candidates.length });
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
      log.changeCard({ managementKey: chosen.which, updatedAt: now });
      log.add(input.step, { key: chosen.which });
      return { changeManagementKey: chosen.which !== 'derived' };
    }
    case 'management_key_apdu': {
      // Nothing to change: the card proved it holds its own key.
      if (card.managementKey === 'derived') return { apdu: null };
      log.changeCard({ managementKey: 'changing', updatedAt: now });
      log.add(input.step);
      return {
        apdu: setManagementKeyApdu(
          algorithm,
          secrets.managementKey(card.serial, algorithm),
        ).toString('hex'),
      };
    }
    case 'management_key_set':
      // The transport key is worth nothing now: it is forgotten.
      log.changeCard({
        managementKey: 'derived',
        encryptedTransportKey: null,
        updatedAt: now,
      });
      log.add(input.step);
      return {};
    case 'keys_generated': {
      if (card.managementKey !== 'derived') {
        throw new ConflictError(
          'The card must hold its own management key before its keys are made.',
        );
      }
      const keys = {
        '9a': Buffer.from(input.publicKeys['9a'], 'base64'),
        '9c': Buffer.from(input.publicKeys['9c'], 'base64'),
      };
      await assertFreshKeys(tx, { cardId: card.id, personId: job.personId }, keys);
      const issued = await issueCardCertificates(tx, {
        cardId: card.id,
        personId: job.personId,
        keys: [
          { profile: 'authentication', subjectPublicKeyInfo: keys['9a'] },
          { profile: 'signature', subjectPublicKeyInfo: keys['9c'] },
        ],
        baseUrl: settings.baseUrl,
        validityDays: settings.validityDays,
        upnDomain: settings.upnDomain,
        jobId: job.id,
      });
      const [a, c] = issued;
      if (!a || !c) throw new Error('the certificates were not issued');
      const certificates = {
        '9a': a.certificate.toString('base64'),
        '9c': c.certificate.toString('base64'),
      };
      const serials = { '9a': a.serialNumber, '9c': c.serialNumber };
      log.add(input.step, { certificates: serials });
      return { certificates };
    }
    case 'certificates_written':
      log.add(input.step);
      return {};
    case 'puk_requested': {
      const puks = pukCandidates(secrets, card);
      const newPuk = CardSecrets.newPuk();
      // The new PUK stays with the job until the card shows which PUK it holds (pin_set):
      // the card's pending PUK, from a job that failed after the card took it, may be the
      // card's own, and is not replaced before then.
      log.changeJob({
        sealedPukCandidates: secrets.sealPuk(
          JSON.stringify({ puks, newPuk }),
          `${card.serial}:${job.id}`,
        ),
      });
      log.add(input.step, { candidates: puks.length });
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
        throw ValidationError.of([{ field: 'candidate', message: 'is not one of the PUKs given' }]);
      // The card showed it holds this PUK: it is the card's PUK until the new one, pending
      // from now on, is confirmed.
      log.changeCard({
        encryptedPuk: secrets.sealPuk(used, card.serial),
        encryptedPendingPuk: secrets.sealPuk(offered.newPuk, card.serial),
        updatedAt: now,
      });
      log.add(input.step);
      return {};
    }
    case 'puk_changed':
      log.changeCard({
        encryptedPuk: card.encryptedPendingPuk,
        encryptedPendingPuk: null,
        updatedAt: now,
      });
      log.add(input.step);
      return {};
    case 'completed':
      log.add(input.step);
      // completeJob writes the job's row itself.
      await log.flush({ job: false });
      await completeJob(tx, job);
      return { job: { id: job.id, state: 'succeeded' } };
  }
}
