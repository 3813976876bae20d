import argon2 from 'argon2';
import { testArgon2Options, testHashingCostsApply } from '../test-hashing-costs.ts';

/** argon2id at the library's defaults (64 MiB, 3 passes, 4 lanes), above OWASP's minimum. */
export const passwordHashOptions = {
  type: argon2.argon2id,
  memoryCost: 65_536,
  timeCost: 3,
  parallelism: 4,
} as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, testHashingCostsApply() ? testArgon2Options : passwordHashOptions);
}

/** Checks against the costs the hash itself names, whatever this process would hash with. */
export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return argon2.verify(hash, password).catch(() => false);
}

// Verified against when the username is unknown, so a wrong username costs the same time
// as a wrong password and the answer's timing does not say whether the account exists.
let decoy: Promise<string> | undefined;
export async function spendDecoyVerification(password: string): Promise<void> {
  decoy ??= hashPassword('decoy-password-that-matches-nothing');
  await verifyPassword(await decoy, password);
}
