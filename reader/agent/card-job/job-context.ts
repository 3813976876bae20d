import type { CardSession } from './card-session.ts';
import { JobFailure } from './job-failure.ts';
import type { JobStep, StartedJob, StepBody } from './job-protocol.ts';

/** What each step of a job works with: the card, the job as the server started it, the server. */
export interface JobContext {
  session: CardSession;
  job: StartedJob;
  /**
   * Reports a step done (or several, in order, in one call) and returns the server's answer,
   * which holds each step's; the steps noted since the last report go in the same call, before.
   */
  report(body: StepBody, ...more: StepBody[]): Promise<Record<string, unknown>>;
  /**
   * A step done whose answer the job does not need: it goes to the server with the next
   * report (or with `failed`), saving a round trip. Only for a step the server need not have
   * recorded before the card's next change: never one whose record lets the next job recover.
   */
  note(body: StepBody): void;
  /** Says which step the job is working toward, for the failure message if it fails there. */
  working(step: JobStep): void;
}

/** A field of the server's answer that must be hex of `length` bytes (any length if omitted). */
export function hexField(value: unknown, what: string, length?: number): Buffer {
  if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(value))
    throw new JobFailure(`The RA server's answer has no ${what} (hex expected).`);
  const bytes = Buffer.from(value, 'hex');
  if (length !== undefined && bytes.length !== length)
    throw new JobFailure(`The RA server's ${what} is ${bytes.length} bytes, not ${length}.`);
  return bytes;
}

/** A field of the server's answer that must be base64 (a DER certificate). */
export function base64Field(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value))
    throw new JobFailure(`The RA server's answer has no ${what} (base64 expected).`);
  return Buffer.from(value, 'base64');
}

/** A PIN or PUK the server sent: what PIV takes, 1 to 8 printable characters (never echoed). */
export function referenceField(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^[\x20-\x7e]{1,8}$/.test(value))
    throw new JobFailure(`The RA server sent a ${what} the card cannot take (1 to 8 characters).`);
  return value;
}
