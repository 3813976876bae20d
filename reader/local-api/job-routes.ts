import type { IncomingMessage } from 'node:http';
import type { JobStep } from '../agent/card-job/job-protocol.ts';
import { pinProblems } from '../agent/card-job/pin-rules.ts';
import type { CardJobInput, CardJobResult } from '../agent/card-job/run-card-job.ts';
import type { Transmit } from '../agent/read-piv-card.ts';
import type { JobBoard } from './job-board.ts';

/** What the local API needs of the PC/SC watcher (PcscWatcher is one). */
export interface CardReaders {
  readonly state: { reader: string; atr: Buffer | null }[];
  withCard<T>(reader: string, fn: (transmit: Transmit) => Promise<T>): Promise<T>;
  on(
    event: 'card-inserted' | 'card-removed',
    listener: (card: { reader: string }) => void,
  ): unknown;
  on(event: 'reader-removed', listener: (reader: string) => void): unknown;
}

/** Card jobs, in watch mode only: the enrolled workstation and how to run a job. */
export interface AgentJobs {
  workstation: { id: string; name: string };
  /** The RA server's origin. */
  server: string;
  run(
    transmit: Transmit,
    input: CardJobInput,
    onStep: (step: JobStep) => void,
  ): Promise<CardJobResult>;
  /** One line per job that ends; never a PIN. */
  log?: (line: string) => void;
}

export type Answer = [status: number, body: unknown];

const problem = (status: number, code: string, message: string, details?: unknown): Answer => [
  status,
  { error: { code, message, ...(details ? { details } : {}) } },
];

const maxBody = 8 * 1024;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const fields = ['jobId', 'nonce', 'reader', 'pin', 'pinConfirmation'];

/** The JSON body of a request, at most 8 KiB, or the answer refusing it. */
export async function jsonBody(
  req: IncomingMessage,
): Promise<{ body: unknown } | { refused: Answer }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return {
      refused: problem(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the job as JSON (content-type: application/json).',
      ),
    };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody)
      return {
        refused: problem(413, 'PAYLOAD_TOO_LARGE', 'The job request is larger than 8 KiB.'),
      };
    chunks.push(chunk);
  }
  try {
    return { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { refused: problem(400, 'VALIDATION', 'The job request is not valid JSON.') };
  }
}

/**
 * POST /jobs `{ jobId, nonce, reader, pin?, pinConfirmation? }`: checks the request and the
 * PIN rules before anything touches the card, then runs the job in the background on that
 * reader's card and answers 202 at once. Nothing it answers repeats the PIN.
 */
export function postJob(
  body: unknown,
  context: {
    board: JobBoard;
    readers: CardReaders;
    jobs: AgentJobs | undefined;
    ended: (reader: string) => void;
  },
): Answer {
  const { board, readers, jobs } = context;
  if (!jobs)
    return problem(
      503,
      'UNAVAILABLE',
      'This agent is not enrolled: it reads cards for "Check my card" only. Card jobs need the workstation agent (npm run agent -- watch).',
    );
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return problem(400, 'VALIDATION', 'The job request must be a JSON object.');
  const given = body as Record<string, unknown>;
  const problems: { field: string; message: string }[] = [];
  for (const key of Object.keys(given)) {
    if (fields.includes(key)) continue;
    const name = /^[A-Za-z][A-Za-z0-9_]{0,49}$/.test(key) ? key : '(a field name)';
    problems.push({ field: name, message: `${name} is not a field a job takes.` });
  }
  if (typeof given.jobId !== 'string' || !uuid.test(given.jobId))
    problems.push({
      field: 'jobId',
      message: "jobId must be the job's id as the RA server gave it (a UUID).",
    });
  if (typeof given.nonce !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(given.nonce))
    problems.push({
      field: 'nonce',
      message: 'nonce must be the one-time code the RA server gave with the job.',
    });
  if (typeof given.reader !== 'string' || given.reader.length < 1 || given.reader.length > 200)
    problems.push({ field: 'reader', message: 'reader must name the reader that holds the card.' });
  if (given.pinConfirmation !== undefined && typeof given.pinConfirmation !== 'string')
    problems.push({ field: 'pinConfirmation', message: 'pinConfirmation must be text.' });
  else problems.push(...pinProblems(given.pin, given.pinConfirmation));
  if (problems.length)
    return problem(400, 'VALIDATION', problems.map((p) => p.message).join(' '), problems);

  const jobId = (given.jobId as string).toLowerCase();
  const reader = given.reader as string;
  const found = readers.state.find((r) => r.reader === reader);
  if (!found)
    return problem(
      404,
      'NOT_FOUND',
      `This workstation has no reader called "${reader.slice(0, 100)}".`,
    );
  if (!found.atr)
    return problem(409, 'NO_CARD', `There is no card in ${reader}. Put the card in and try again.`);
  const busy = board.runningOn(reader);
  if (busy)
    return problem(
      409,
      'CONFLICT',
      `A job is already running on the card in ${reader} (${busy}); wait for it to end.`,
    );
  if (board.has(jobId))
    return problem(
      409,
      'CONFLICT',
      `This agent has already run job ${jobId}; ask the RA server for a new one.`,
    );

  const input: CardJobInput = {
    jobId,
    nonce: given.nonce as string,
    atr: found.atr.toString('hex'),
    ...(typeof given.pin === 'string' ? { pin: given.pin } : {}),
    ...(typeof given.pinConfirmation === 'string'
      ? { pinConfirmation: given.pinConfirmation }
      : {}),
  };
  board.begin(jobId, reader);
  void readers
    .withCard(reader, (transmit) => jobs.run(transmit, input, (step) => board.step(jobId, step)))
    .catch(
      (err: unknown): CardJobResult => ({
        jobId,
        kind: null,
        state: 'failed',
        step: null,
        error: `The card in ${reader} could not be reached: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown error'}. Check it is in the reader and try again.`,
        during: 'start',
        cardSerial: null,
        apdus: 0,
        ms: 0,
        serverMs: 0,
        serverCalls: 0,
      }),
    )
    .then((given) => {
      // Whatever the card layer said, the PIN typed for this job is not repeated: not to the
      // page, not to the log.
      const result = { ...given, error: given.error && scrubPins(given.error, input) };
      board.finish(jobId, result);
      context.ended(reader);
      jobs.log?.(
        result.state === 'succeeded'
          ? `card job ${jobId} (${result.kind}) on ${reader}: succeeded, ${result.apdus} APDUs in ${result.ms} ms (${result.serverMs} ms waiting for the server)`
          : `card job ${jobId} (${result.kind ?? 'not started'}) on ${reader}: failed during ${result.during}: ${result.error}`,
      );
    });
  return [202, { jobId }];
}

/** The text with the job's PIN and its confirmation (6 digits or more) masked. */
function scrubPins(text: string, input: { pin?: string; pinConfirmation?: string }): string {
  let out = text;
  for (const secret of [input.pin, input.pinConfirmation]) {
    if (secret && secret.length >= 6) out = out.replaceAll(secret, '******');
  }
  return out;
}

/** GET /jobs/{id}: the job as this agent knows it. */
export function getJob(jobId: string, board: JobBoard): Answer {
  const job = board.view(jobId.toLowerCase());
  if (!job)
    return problem(
      404,
      'NOT_FOUND',
      // Not repeated: whatever a page put in the URL (a PIN, by mistake) is not sent back.
      'This agent has run no job of that id since it started.',
    );
  return [200, job];
}
