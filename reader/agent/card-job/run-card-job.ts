import type { Transmit } from '../read-piv-card.ts';
import { CardSession } from './card-session.ts';
import { identifyCard } from './identify-card.ts';
import type { JobContext } from './job-context.ts';
import { failureMessage, JobFailure } from './job-failure.ts';
import type { CardJobKind, JobServer, JobStep, StartedJob, StepBody } from './job-protocol.ts';
import { makeKeysAndWriteCertificates } from './key-steps.ts';
import { authenticateManagementKey, setManagementKey } from './management-key-steps.ts';
import { pinNeedProblem, pinProblems, randomPin } from './pin-rules.ts';
import { setPinAndChangePuk, verifyHolderPin } from './pin-steps.ts';
import { isManagementAlgorithm } from './piv-commands.ts';

/** What the page gave the agent for one job. The PIN goes no further than the card. */
export interface CardJobInput {
  jobId: string;
  nonce: string;
  /** The ATR of the card in the reader, hex, as the server is told at start. */
  atr: string;
  pin?: string;
  pinConfirmation?: string;
}

/** How a job ended, as the agent knows it, with its figures. Holds no secret. */
export interface CardJobResult {
  jobId: string;
  kind: CardJobKind | null;
  state: 'succeeded' | 'failed';
  /** The last step the server accepted (null: none). */
  step: JobStep | null;
  error: string | null;
  /** The step the job was working toward when it failed ('start': before the server started it). */
  during: JobStep | 'start' | null;
  cardSerial: string | null;
  /** APDUs sent to the card, GET RESPONSEs and chained pieces included. */
  apdus: number;
  /** From the first APDU (or the PIN check) to the last answer. */
  ms: number;
  /** Of which spent waiting for the RA server. */
  serverMs: number;
  serverCalls: number;
}

export interface RunCardJobOptions {
  transmit: Transmit;
  server: JobServer;
  input: CardJobInput;
  /** Told each step the server accepts, for the local API's GET /jobs/{id}. */
  onStep?: (step: JobStep) => void;
}

function startedJob(answer: unknown, jobId: string, serial: string): StartedJob {
  const job = (answer as { job?: Partial<StartedJob> } | null)?.job;
  if (!job || job.id !== jobId || !['issue', 'renew', 'unlock'].includes(job.kind as string))
    throw new JobFailure('The RA server started the job but did not say what it is.');
  if (job.cardSerial !== serial)
    throw new JobFailure(`This job is for card ${job.cardSerial}; the reader holds ${serial}.`);
  const managementAlgorithm = job.managementAlgorithm ?? 'tdes';
  if (!isManagementAlgorithm(managementAlgorithm))
    throw new JobFailure(
      `The RA server names a management key kind the agent does not know (${String(managementAlgorithm).slice(0, 20)}).`,
    );
  return {
    id: job.id,
    kind: job.kind as CardJobKind,
    cardSerial: serial,
    issuedLocked: job.issuedLocked === true,
    selfService: job.selfService === true,
    managementAlgorithm,
  };
}

/** Which PIN a job needs from the page: a new one (and its confirmation), the holder's, or none. */
const pinNeed = (job: StartedJob): 'new' | 'current' | 'none' =>
  job.kind === 'unlock' || (job.kind === 'issue' && !job.issuedLocked)
    ? 'new'
    : job.kind === 'renew' && job.selfService
      ? 'current'
      : 'none';

/** Replaces any secret that found its way into a message; none should, but none may. */
function scrub(message: string, secrets: (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets)
    if (secret && secret.length >= 4) out = out.split(secret).join('•••');
  return out;
}

/**
 * Carries out one card job (docs/card-jobs.md) on the card behind `transmit`, which the
 * caller holds for the whole job: identifies the card, starts the job with the server, does
 * the kind's steps in order, reporting each, and on any failure reports `failed` with what
 * it was doing. Never throws: the result says how it went.
 */
export async function runCardJob(options: RunCardJobOptions): Promise<CardJobResult> {
  const { server, input } = options;
  const began = performance.now();
  const session = new CardSession(options.transmit);
  const result: CardJobResult = {
    jobId: input.jobId,
    kind: null,
    state: 'failed',
    step: null,
    error: null,
    during: 'start',
    cardSerial: null,
    apdus: 0,
    ms: 0,
    serverMs: 0,
    serverCalls: 0,
  };
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    result.serverCalls += 1;
    try {
      return await call();
    } finally {
      result.serverMs += performance.now() - t;
    }
  };
  let started = false;
  let during = 'start' as JobStep | 'start';
  /** Steps noted, to go with the next report. */
  let noted: StepBody[] = [];
  const accepted = (steps: StepBody[]) => {
    for (const s of steps) {
      result.step = s.step as JobStep;
      options.onStep?.(result.step);
    }
  };
  const secrets: (string | undefined)[] = [input.pin, input.pinConfirmation];
  try {
    const problems = pinProblems(input.pin, input.pinConfirmation);
    if (problems.length) throw new JobFailure(problems.map((p) => p.message).join(' '));
    const serial = await identifyCard(session);
    result.cardSerial = serial;
    const answer = await timed(() =>
      server.start(input.jobId, { nonce: input.nonce, card: { serial, atr: input.atr } }),
    );
    // Started: from here on, whatever goes wrong is reported, or the job would hang there.
    started = true;
    const job = startedJob(answer, input.jobId, serial);
    result.kind = job.kind;
    const ctx: JobContext = {
      session,
      job,
      working: (step) => {
        during = step;
      },
      note: (body: StepBody) => {
        during = body.step as JobStep;
        noted.push(body);
      },
      report: async (body: StepBody, ...more: StepBody[]) => {
        during = body.step as JobStep;
        const steps = [...noted, body, ...more];
        const answer = await timed(() =>
          server.step(input.jobId, steps.length === 1 ? body : { steps }),
        );
        noted = [];
        accepted(steps);
        if (steps.some((s) => s.step === 'puk_requested')) {
          const { puks, newPuk } = (answer ?? {}) as { puks?: unknown; newPuk?: unknown };
          if (Array.isArray(puks)) secrets.push(...puks.filter((p) => typeof p === 'string'));
          if (typeof newPuk === 'string') secrets.push(newPuk);
        }
        return answer && typeof answer === 'object' ? (answer as Record<string, unknown>) : {};
      },
    };
    const need = pinNeed(job);
    const problem = pinNeedProblem(need, input.pin, input.pinConfirmation);
    if (problem) throw new JobFailure(problem);
    if (job.kind === 'renew' && job.selfService) await verifyHolderPin(ctx, input.pin as string);
    /** An issue asks for the PUKs in the same call as the certificates. */
    let pukAnswer: Record<string, unknown> | undefined;
    if (job.kind === 'issue' || job.kind === 'renew') {
      await authenticateManagementKey(ctx);
      // The server answers with no command when the card already holds its own key.
      await setManagementKey(ctx);
      const answer = await makeKeysAndWriteCertificates(ctx, { withPuks: job.kind === 'issue' });
      if (job.kind === 'issue') pukAnswer = answer;
    }
    if (job.kind === 'issue' || job.kind === 'unlock') {
      // Issued locked: a PIN nobody sees; the holder sets theirs by unlocking at first use.
      const pin = job.kind === 'issue' && job.issuedLocked ? randomPin() : (input.pin as string);
      await setPinAndChangePuk(ctx, pin, pukAnswer);
    }
    during = 'completed';
    await ctx.report({ step: 'completed' });
    result.state = 'succeeded';
    result.during = null;
  } catch (err) {
    const error = scrub(failureMessage(err, during), secrets).slice(0, 1000);
    result.error = error;
    result.during = during;
    // A job the server never started stays pending there (wrong card, replayed nonce): only
    // the agent knows why, and tells the page. A refused `failed` changes nothing more.
    if (started) {
      const body: StepBody =
        during === 'start' ? { step: 'failed', error } : { step: 'failed', error, during };
      // What the card did before it failed is recorded first; if the server refuses those
      // steps, the failure alone still is.
      const steps = [...noted, body];
      const recorded =
        steps.length > 1 &&
        (await timed(() => server.step(input.jobId, { steps })).then(
          () => true,
          () => false,
        ));
      if (!recorded) await timed(() => server.step(input.jobId, body)).catch(() => {});
    }
  }
  result.apdus = session.apdus;
  result.ms = Math.round(performance.now() - began);
  result.serverMs = Math.round(result.serverMs);
  return result;
}
