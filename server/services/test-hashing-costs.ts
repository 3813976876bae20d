import argon2 from 'argon2';

/**
 * Whether password, unlock-code and CA-key hashing may use their cheap test costs: only in a
 * vitest worker run with NODE_ENV=test. Those hashes are slow on purpose (argon2id at 64 MiB,
 * scrypt at 128 MiB), and the test suites sign in and open CA keys well over a thousand times,
 * which at the real costs took most of the run's CPU.
 *
 * Both conditions, and neither alone: NODE_ENV=test is an environment variable a deployment
 * could set by mistake; the worker state is a global that vitest itself puts into its worker
 * processes before loading a test file, which no environment variable or configuration file
 * of ours can create. A server started any other way (`npm start`, the CLI, a child process a
 * test spawns) always hashes at the real costs. What a hash was made with is written into it
 * (argon2's `$m=…,t=…,p=…$`, the scrypt parameters beside the encrypted key), so verifying
 * never depends on this switch.
 */
export function testHashingCostsApply(): boolean {
  return testHashingCostsApplyIn(process.env.NODE_ENV, globalThis);
}

/** The rule itself, for a given NODE_ENV and global scope. */
export function testHashingCostsApplyIn(nodeEnv: string | undefined, scope: object): boolean {
  return nodeEnv === 'test' && '__vitest_worker__' in scope;
}

/** argon2id in the test suites only, for passwords and unlock codes alike: 1 MiB, 1 pass, 1 lane. */
export const testArgon2Options = {
  type: argon2.argon2id,
  memoryCost: 1024,
  timeCost: 1,
  parallelism: 1,
} as const;
