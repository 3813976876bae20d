import { CardAnswerError, CardUnreachableError, swText } from './card-session.ts';
import { CardIdentityError } from './identify-card.ts';
import { JobServerError, type JobStep, stepActivity } from './job-protocol.ts';
import { PublicKeyError } from './public-key.ts';

/** A job cannot go on; `message` is for the operator, and never holds a PIN or PUK. */
export class JobFailure extends Error {
  override name = 'JobFailure';
}

/** What common status words mean, in the operator's words. */
const statusMeanings: Record<number, string> = {
  26368: 'wrong length',
  27010: 'security status not satisfied',
  27011: 'blocked',
  27013: 'conditions of use not satisfied',
  27264: 'incorrect data',
  27265: 'function not supported',
  27266: 'not found',
  27268: 'not enough memory',
  27270: 'incorrect P1-P2',
  27272: 'reference not found',
  27904: 'instruction not supported',
  28160: 'class not supported',
};

/** "6A84 (not enough memory)". */
export const statusWord = (sw: number) =>
  statusMeanings[sw] ? `${swText(sw)}, ${statusMeanings[sw]}` : swText(sw);

/** A failure because the card answered a status word it should not have. */
export const refused = (what: string, sw: number) =>
  new JobFailure(`${what} (the card answered ${statusWord(sw)}).`);

/**
 * The sentence an operator reads when a job fails `during` a step: what happened and, where
 * there is one, what to do. Built from the error's kind, never from the secrets in play.
 */
export function failureMessage(err: unknown, during: JobStep | 'start'): string {
  const activity = stepActivity[during];
  if (err instanceof JobFailure || err instanceof CardIdentityError) return err.message;
  if (err instanceof CardUnreachableError) {
    return err.removed
      ? `The card was taken out of the reader while ${activity}. Put it back and start the job again.`
      : `The reader stopped answering while ${activity} (${err.message.slice(0, 200)}). Check the reader and start the job again.`;
  }
  if (err instanceof CardAnswerError)
    return `The card gave a garbled answer while ${activity}: ${err.message}.`;
  if (err instanceof PublicKeyError) return `The card's new key could not be used: ${err.message}.`;
  if (err instanceof JobServerError) {
    if (err.status === 0)
      return `The RA server could not be reached while ${activity}: ${err.message}.`;
    return during === 'start'
      ? `The RA server refused to start the job: ${err.message}`
      : `The RA server refused the step "${during}": ${err.message}`;
  }
  return `The agent failed while ${activity}: ${err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200)}.`;
}
