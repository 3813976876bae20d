import { randomInt } from 'node:crypto';
import argon2 from 'argon2';
import type { CardState } from '../cards/card-lifecycle.ts';
import { testArgon2Options, testHashingCostsApply } from '../test-hashing-costs.ts';

/** A code works for this long after it is sent (DOMAIN.md: 15 minutes). */
export const codeValidityMs = 15 * 60_000;
/** At most this many codes an hour, per person and per address. */
export const codesPerHour = 5;
export const rateWindowMs = 60 * 60_000;
/** This many wrong codes kill every open code of the person. */
export const maxFailedAttempts = 5;
/** Cards a holder may unlock themselves (docs/card-jobs.md, kind `unlock`). */
export const unlockableStates: readonly CardState[] = ['blocked', 'issued_locked', 'active'];

/** A fresh 8-digit code, uniformly random. */
export function newUnlockCode(): string {
  return randomInt(0, 100_000_000).toString().padStart(8, '0');
}

/** The code as typed, spaces removed; null unless it is then 8 digits. */
export function normaliseUnlockCode(typed: string): string | null {
  const code = typed.replace(/\s+/g, '');
  return /^\d{8}$/.test(code) ? code : null;
}

// argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane): 10^8 codes each cost that much to
// try offline, and a code lives 15 minutes; lighter than passwords' (64 MiB, 3 passes), as a
// check tries every open code of the person (up to 5) and a few recent ones.
export const codeHashOptions = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Only this is kept of a code. */
export function hashUnlockCode(code: string): Promise<string> {
  return argon2.hash(code, testHashingCostsApply() ? testArgon2Options : codeHashOptions);
}

export function unlockCodeMatches(hash: string, code: string): Promise<boolean> {
  return argon2.verify(hash, code).catch(() => false);
}

/**
 * An address as the page and the trail may show it: the first letter of the mailbox, then
 * `***`, then the domain in full ("s***@nhs.net"): enough to know which address, not to
 * learn it.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}
