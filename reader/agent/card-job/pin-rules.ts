import { randomInt } from 'node:crypto';

/** A PIN problem, named by the field the page shows it beside. Never holds the PIN itself. */
export interface PinProblem {
  field: 'pin' | 'pinConfirmation';
  message: string;
}

/**
 * The PIN rules, checked before anything touches the card: 6 to 8 digits, numbers only, and
 * the confirmation (when given) the same. The messages never repeat what was typed.
 */
export function pinProblems(pin: unknown, confirmation: unknown): PinProblem[] {
  if (pin === undefined || pin === null) {
    return confirmation === undefined || confirmation === null
      ? []
      : [{ field: 'pin', message: 'Type the PIN as well as its confirmation.' }];
  }
  if (typeof pin !== 'string' || !/^[0-9]*$/.test(pin))
    return [{ field: 'pin', message: 'The PIN is numbers only: 6 to 8 digits.' }];
  if (pin.length < 6 || pin.length > 8)
    return [
      { field: 'pin', message: `The PIN must be 6 to 8 digits; this one has ${pin.length}.` },
    ];
  if (confirmation !== undefined && confirmation !== null && confirmation !== pin)
    return [
      { field: 'pinConfirmation', message: 'The PIN and its confirmation are not the same.' },
    ];
  return [];
}

/** What a job of this kind needs of the PIN the page gave, or a problem saying what is missing. */
export function pinNeedProblem(
  need: 'new' | 'current' | 'none',
  pin: string | undefined,
  confirmation: string | undefined,
): string | undefined {
  if (need === 'new' && !pin) return 'No new PIN was given: type the new PIN and its confirmation.';
  if (need === 'new' && confirmation === undefined)
    return 'The new PIN was not confirmed: type it a second time.';
  if (need === 'current' && !pin) return "No PIN was given: the holder types their card's PIN.";
  return undefined;
}

/** A random 8-digit PIN nobody sees, for a card issued locked. */
export const randomPin = () => String(randomInt(0, 100_000_000)).padStart(8, '0');
