import { describe, expect, it } from 'vitest';
import { pairDelayMs, waitWords, windowLockEnd } from './throttle-rules.ts';

const policy = {
  delayAfterFailures: 3,
  maxFailuresPerAccount: 50,
  maxFailuresPerAddress: 500,
  lockoutMinutes: 15,
};

describe('sign-in throttle rules', () => {
  it('lets the first few failures of a pair pass, then doubles the wait up to the lockout', () => {
    const waits = [0, 1, 2, 3, 4, 5, 12, 13, 14, 100].map((n) => pairDelayMs(n, policy));
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 512_000, 900_000, 900_000, 900_000]);
  });

  it('holds a window lock until the limit-th newest failure leaves the window', () => {
    const at = new Date('2026-11-25T09:00:00Z');
    expect(windowLockEnd(49, 50, at, 900_000)).toBeNull();
    expect(windowLockEnd(50, 50, at, 900_000)).toEqual(new Date('2026-11-25T09:15:00Z'));
  });

  it('says how long to wait in words', () => {
    expect(waitWords(1)).toBe('1 second');
    expect(waitWords(2000)).toBe('2 seconds');
    expect(waitWords(60_000)).toBe('1 minute');
    expect(waitWords(61_000)).toBe('2 minutes');
  });
});
