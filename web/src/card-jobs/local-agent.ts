/**
 * The reader agent on this computer (http://127.0.0.1:<port>, docs/card-jobs.md): what card
 * is in its reader, whether it is an enrolled workstation, and the card jobs it carries out.
 * The PIN goes here and nowhere else: never to the server.
 */
import { defaultLocalPort } from '../../../reader/local-api/default-port.ts';
import type { FieldProblem } from '../api/client.ts';

/** One card in a reader, as the agent reads it (no keys, no PIN). */
export interface ReaderCard {
  reader: string;
  serial?: string | null;
  cardType: string;
  holder: { name: string | null; userId: string | null };
  expiresAt: string | null;
  daysLeft: number | null;
  pin: { triesLeft: number | null; blocked: boolean };
}

/** A reader whose card could not be read. */
export interface UnreadableCard {
  reader: string;
  error: string;
}

export interface AgentStatus {
  workstation: { id: string; name: string } | null;
  /** Whether this agent carries out card jobs: an enrolled workstation. */
  jobs: boolean;
}

/** What the agent knows of a job it was given. */
export interface AgentJob {
  state: string;
  step: string | null;
  error: string | null;
}

/** The agent's port: `?agentPort=` on the page's address (tests, a second agent), else the default. */
export function agentBase(): string {
  const port =
    Number(new URLSearchParams(window.location.search).get('agentPort')) || defaultLocalPort;
  return `http://127.0.0.1:${port}`;
}

/** Said as on Check my card: whoever reads it can act on it (no command line for a nurse). */
export const agentNotRunning =
  'The card reader agent is not running on this computer, so no card can be read here. Use a workstation at the RA desk, or ask your IT service desk to start it.';

/** A refusal or failure from the agent, with its field problems (a bad PIN) if it gave any. */
export class AgentError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly fieldProblems: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** The agent's `fields`, as a list or as a record of messages by field. */
function problemsOf(fields: unknown): FieldProblem[] {
  if (Array.isArray(fields)) {
    return fields.filter(
      (f): f is FieldProblem =>
        typeof f?.field === 'string' && typeof (f as FieldProblem).message === 'string',
    );
  }
  if (fields && typeof fields === 'object') {
    return Object.entries(fields).flatMap(([field, message]) =>
      typeof message === 'string' ? [{ field, message }] : [],
    );
  }
  return [];
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${agentBase()}${path}`, { cache: 'no-store', ...init });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new AgentError(agentNotRunning, 0);
  }
  const body = (await res.json().catch(() => ({}))) as {
    error?: { message?: string; fields?: unknown };
  };
  if (!res.ok) {
    throw new AgentError(
      body.error?.message ?? `The reader agent answered ${res.status}.`,
      res.status,
      problemsOf(body.error?.fields),
    );
  }
  return body as T;
}

export const agentStatus = (signal?: AbortSignal) => call<AgentStatus>('/status', { signal });

export const agentCards = (signal?: AbortSignal) =>
  call<{ cards: (ReaderCard | UnreadableCard)[]; readers: number }>('/cards', { signal });

export const agentJob = (id: string, signal?: AbortSignal) =>
  call<AgentJob>(`/jobs/${encodeURIComponent(id)}`, { signal });

/** Hands a job to the agent, with the PIN the holder typed where the job sets or checks one. */
export function giveAgentJob(job: {
  jobId: string;
  nonce: string;
  reader: string;
  pin?: string;
  pinConfirmation?: string;
}) {
  return call<unknown>('/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(job),
  });
}
