import type { cardJobKinds } from '../../../db/schema/card-jobs.ts';

export type CardJobKind = (typeof cardJobKinds)[number];

/** The steps an agent reports (docs/card-jobs.md), besides `started`. */
export const agentSteps = [
  'pin_verified',
  'management_challenge',
  'management_authenticated',
  'management_key_apdu',
  'management_key_set',
  'keys_generated',
  'certificates_written',
  'puk_requested',
  'pin_set',
  'puk_changed',
  'completed',
  'failed',
] as const;
export type AgentStep = (typeof agentSteps)[number];
export type JobStep = AgentStep | 'started';

/**
 * Which step may follow which, for each kind: the server refuses any other order, so an agent
 * (or anyone holding its credential) cannot skip the management key or the certificates.
 * `failed` may follow any step of a running job.
 */
const keySteps: Record<string, readonly AgentStep[]> = {
  management_challenge: ['management_challenge', 'management_authenticated'],
  management_authenticated: ['management_key_apdu', 'keys_generated'],
  management_key_apdu: ['management_key_set', 'keys_generated'],
  management_key_set: ['keys_generated'],
};

/**
 * Issue asks for the PUKs with the keys (one call answers both), then writes the certificates
 * and sets the PIN; renew writes the certificates and is done.
 */
const issueTail: Record<string, readonly AgentStep[]> = {
  keys_generated: ['puk_requested'],
  puk_requested: ['certificates_written'],
  certificates_written: ['pin_set'],
  pin_set: ['puk_changed'],
  puk_changed: ['completed'],
};
const renewTail: Record<string, readonly AgentStep[]> = {
  keys_generated: ['certificates_written'],
  certificates_written: ['completed'],
};

export function nextSteps(
  kind: CardJobKind,
  selfService: boolean,
  last: JobStep,
): readonly AgentStep[] {
  if (kind === 'unlock') {
    return (
      (
        {
          started: ['puk_requested'],
          puk_requested: ['pin_set'],
          pin_set: ['puk_changed'],
          puk_changed: ['completed'],
        } as Record<string, readonly AgentStep[]>
      )[last] ?? []
    );
  }
  if (last === 'started') {
    return kind === 'renew' && selfService ? ['pin_verified'] : ['management_challenge'];
  }
  if (last === 'pin_verified') return ['management_challenge'];
  return (kind === 'issue' ? issueTail : renewTail)[last] ?? keySteps[last] ?? [];
}

/** The steps in words, as the page shows a job's progress. */
export const stepWords: Record<JobStep, string> = {
  started: 'The card was found in the reader',
  pin_verified: 'The card accepted the PIN',
  management_challenge: 'Checking that this RA may change the card',
  management_authenticated: 'The card let this RA change it',
  management_key_apdu: 'Locking the card to this RA',
  management_key_set: 'The card is locked to this RA: only it can change the card now',
  keys_generated: 'New keys were made on the card and their certificates signed',
  certificates_written: 'The certificates were written to the card',
  puk_requested: 'Getting ready to set the PIN',
  pin_set: 'The new PIN was set',
  puk_changed: 'The card’s unblock code was changed to a new one nobody has seen',
  completed: 'Done',
  failed: 'Failed',
};
