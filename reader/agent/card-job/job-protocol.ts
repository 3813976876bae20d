import type { Slot } from '../../piv/constants.ts';
import type { ManagementAlgorithm } from './piv-commands.ts';

/** The agent's side of docs/card-jobs.md: what the server says a job is, and the steps. */

export type CardJobKind = 'issue' | 'renew' | 'unlock';

/** `job` in the answer to POST /api/agent/jobs/{id}/start. */
export interface StartedJob {
  id: string;
  kind: CardJobKind;
  cardSerial: string;
  issuedLocked: boolean;
  selfService: boolean;
  managementAlgorithm: ManagementAlgorithm;
}

export interface StartBody {
  nonce: string;
  card: { serial: string; atr: string };
}

/** The slots a job makes keys in: PIV authentication and digital signature. */
export const jobSlots = ['9a', '9c'] as const satisfies readonly Slot[];
export type JobSlot = (typeof jobSlots)[number];

export type StepBody =
  | { step: 'management_challenge'; challenge: string }
  | { step: 'management_authenticated'; candidate: number }
  | { step: 'management_key_apdu' }
  | { step: 'management_key_set' }
  | { step: 'pin_verified' }
  | { step: 'keys_generated'; publicKeys: Record<JobSlot, string> }
  | { step: 'certificates_written' }
  | { step: 'puk_requested' }
  | { step: 'pin_set'; candidate: number }
  | { step: 'puk_changed'; candidate: number }
  | { step: 'completed' }
  | { step: 'failed'; error: string; during?: JobStep };

export type JobStep = Exclude<StepBody['step'], 'failed'>;

/** One step, or several folded into one call (the server records them together; its answer is the last one's). */
export type StepsBody = StepBody | { steps: StepBody[] };

/** The RA server, as a job sees it: start the job, then a call per step it needs an answer to. */
export interface JobServer {
  start(jobId: string, body: StartBody): Promise<unknown>;
  step(jobId: string, body: StepsBody): Promise<unknown>;
}

/** The server refused a call, or could not be reached; `message` is the server's own words. */
export class JobServerError extends Error {
  override name = 'JobServerError';
  /** HTTP status; 0 when the server was not reached. */
  readonly status: number;
  readonly code: string | null;

  constructor(message: string, status: number, code: string | null = null) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** What the card is doing at each step, for "… while its keys were being made". */
export const stepActivity: Record<JobStep | 'start', string> = {
  start: 'the job was starting',
  management_challenge: 'the agent was proving to the card that it may change it',
  management_authenticated: 'the agent was proving to the card that it may change it',
  management_key_apdu: "the card's management key was being changed",
  management_key_set: "the card's management key was being changed",
  pin_verified: 'the PIN was being checked',
  keys_generated: 'its keys were being made',
  certificates_written: 'its certificates were being written',
  puk_requested: 'its PIN was being set',
  pin_set: 'its PIN was being set',
  puk_changed: 'its PUK was being changed',
  completed: 'the job was finishing',
};
