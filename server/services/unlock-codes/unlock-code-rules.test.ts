import { describe, expect, it } from 'vitest';
import {
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

  it('masks an address to its first letter and domain', () => {
    expect(maskEmail('sky.staff@demo.nhs.example')).toBe('s***@demo.nhs.example');
    expect(maskEmail('a@nhs.net')).toBe('a***@nhs.net');
    expect(maskEmail('no-at-sign')).toBe('***');
    expect(maskEmail('@nhs.net')).toBe('***');
  });
});
