import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { testArgon2Options } from '../test-hashing-costs.ts';
import { hashPassword, passwordHashOptions, verifyPassword } from './passwords.ts';

/** The cost parameters an argon2 hash names, such as { m: 65536, t: 3, p: 4 }. */
function costsOf(hash: string): Record<string, number> {
  const params = hash.split('$')[3] ?? '';
  return Object.fromEntries(
    params.split(',').map((kv) => {
      const [k = '', v = ''] = kv.split('=');
      return [k, Number(v)];
    }),
  );
}

describe('password hashing', () => {
  it('hashes for a running server with argon2id at 64 MiB, 3 passes, 4 lanes', async () => {
    expect(passwordHashOptions).toEqual({
      type: argon2.argon2id,
      memoryCost: 65_536,
      timeCost: 3,
      parallelism: 4,
    });
    const strong = await argon2.hash('correct horse', passwordHashOptions);
    expect(strong).toMatch(/^\$argon2id\$v=19\$/);
    expect(costsOf(strong)).toEqual({ m: 65_536, t: 3, p: 4 });
  });

  it('in the test suites, hashes at the cheap cost, which still tells right from wrong', async () => {
    const cheap = await hashPassword('correct horse');
    expect(cheap).toMatch(/^\$argon2id\$v=19\$/);
    expect(costsOf(cheap)).toEqual({
      m: testArgon2Options.memoryCost,
      t: testArgon2Options.timeCost,
      p: testArgon2Options.parallelism,
    });
    expect(cheap).not.toContain('correct horse');
    expect(await verifyPassword(cheap, 'correct horse')).toBe(true);
    expect(await verifyPassword(cheap, 'correct horsE')).toBe(false);
    expect(await verifyPassword(cheap, '')).toBe(false);
    // Two hashes of one password differ (a random salt each) and both verify.
    const again = await hashPassword('correct horse');
    expect(again).not.toBe(cheap);
    expect(await verifyPassword(again, 'correct horse')).toBe(true);
  });

  it('verifies at the cost the hash names: a strong hash is still checked in full here', async () => {
    const strong = await argon2.hash('correct horse', passwordHashOptions);
    expect(await verifyPassword(strong, 'correct horse')).toBe(true);
    expect(await verifyPassword(strong, 'wrong horse')).toBe(false);
    // The cost is part of what is checked: the same hash claiming a lower cost fails.
    const weakened = strong.replace(/m=65536/, 'm=1024');
    expect(weakened).not.toBe(strong);
    expect(await verifyPassword(weakened, 'correct horse')).toBe(false);
  });

  it('refuses what is not an argon2 hash', async () => {
    expect(await verifyPassword('not a hash', 'correct horse')).toBe(false);
    expect(await verifyPassword('', '')).toBe(false);
  });
});
