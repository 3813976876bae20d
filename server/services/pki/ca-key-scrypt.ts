import { passphraseScrypt } from '../../../pki/ca/key-at-rest.ts';
import type { ScryptParams } from '../../../pki/ca/secret-box.ts';
import { testHashingCostsApply } from '../test-hashing-costs.ts';

/**
 * In the test suites only (test-hashing-costs.ts): N = 2^10, 1 MiB and a few milliseconds,
 * instead of the 128 MiB and most of a second each CA key and card-key box costs.
 */
export const testCaKeyScrypt: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

/**
 * The scrypt parameters the server encrypts CA private keys and seals card transport keys
 * under: pki's own (N = 2^17) in every running server. Opening reads the parameters stored
 * beside each key, so a key sealed under either opens the same way.
 */
export function caKeyScrypt(): ScryptParams {
  return testHashingCostsApply() ? testCaKeyScrypt : passphraseScrypt;
}
