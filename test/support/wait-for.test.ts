import { describe, expect, it } from 'vitest';
import { holdsFor, WaitTimeoutError, waitFor } from './wait-for.ts';

describe('waitFor', () => {
  it('returns as soon as the check holds', async () => {
    let calls = 0;
    await waitFor(() => ++calls === 3, 'the third call', { intervalMs: 1 });
    expect(calls).toBe(3);
  });
  it('fails loudly, naming what it waited for and the last error', async () => {
    const failing = waitFor(
      () => {
        throw new Error('connection refused');
      },
      'the server to answer',
      { timeoutMs: 30, intervalMs: 5 },
    );
    await expect(failing).rejects.toThrow(WaitTimeoutError);
    await expect(failing).rejects.toThrow(
      /gave up after 30 ms waiting for the server to answer; the last check failed with: Error: connection refused/,
    );
  });
});

describe('holdsFor', () => {
  it('fails as soon as the check stops holding', async () => {
    let n = 0;
    await expect(holdsFor(() => ++n < 3, 'one delivery', 1_000, 1)).rejects.toThrow(
      'one delivery stopped holding',
    );
    expect(n).toBe(3);
  });
  it('passes when the check holds throughout', async () => {
    await holdsFor(() => true, 'quiet', 20, 5);
  });
});
