import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { testArgon2Options } from '../test-hashing-costs.ts';
import {
  codeHashOptions,
  hashUnlockCode,
  maskEmail,
  newUnlockCode,
  normaliseUnlockCode,
  unlockCodeMatches,
} from './unlock-code-rules.ts';

describe('unlock code rules', () => {
  it('makes 8-digit codes, leading zeros kept', () => {
    const codes = Array.from({ length: 200 }, newUnlockCode);
    for (const code of codes) expect(code).toMatch(/^\d{8}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('takes 8 digits with spaces anywhere, and nothing else', () => {
    expect(normaliseUnlockCode('1234 5678')).toBe('12345678');
    expect(normaliseUnlockCode(' 12 34 56 78\t')).toBe('12345678');
    expect(normaliseUnlockCode('1234567')).toBeNull();
    expect(normaliseUnlockCode('123456789')).toBeNull();
    expect(normaliseUnlockCode('1234-5678')).toBeNull();
    expect(normaliseUnlockCode('１２３４５６７８')).toBeNull();
    expect(normaliseUnlockCode('')).toBeNull();
  });

  it('keeps an argon2id hash that matches the code alone', async () => {
    const hash = await hashUnlockCode('01234567');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(hash).not.toContain('01234567');
    expect(await unlockCodeMatches(hash, '01234567')).toBe(true);
    expect(await unlockCodeMatches(hash, '01234568')).toBe(false);
    expect(await unlockCodeMatches('not a hash', '01234567')).toBe(false);
  });

  it("hashes at OWASP's minimum in a running server (19 MiB, 2 passes), cheaper only in the test suites", async () => {
    expect(codeHashOptions).toEqual({
      type: argon2.argon2id,
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
    const strong = await argon2.hash('01234567', codeHashOptions);
    expect(strong).toMatch(
      /^\$argon2id\$v=19\$(?=[^$]*\bm=19456\b)(?=[^$]*\bt=2\b)(?=[^$]*\bp=1\b)/,
    );
    expect(await unlockCodeMatches(strong, '01234567')).toBe(true);
    expect(await unlockCodeMatches(strong, '01234568')).toBe(false);
    // This test run hashes with the cheap cost (test-hashing-costs.ts), named in the hash.
    const cheap = await hashUnlockCode('01234567');
    expect(cheap).toContain(`m=${testArgon2Options.memoryCost}`);
    expect(cheap).not.toContain('m=19456');
  });

  it('masks an address to its first letter and domain', () => {
    expect(maskEmail('sky.staff@demo.nhs.example')).toBe('s***@demo.nhs.example');
    expect(maskEmail('a@nhs.net')).toBe('a***@nhs.net');
    expect(maskEmail('no-at-sign')).toBe('***');
    expect(maskEmail('@nhs.net')).toBe('***');
  });
});
