/**
 * The one way tests wait for something that happens on its own time (a daemon starting, a
 * card being noticed, a queue draining): poll until it holds, and when it never does, fail
 * loudly with what was awaited, for how long, and the last thing the check said.
 */
export interface WaitOptions {
  /** How long to wait before failing (default 15 s: pcscd and argon2 can be slow on CI). */
  timeoutMs?: number;
  /** How often to look (default 100 ms). */
  intervalMs?: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/**
 * Polls `check` until it returns true. A check that throws counts as "not yet"; its last
 * error is part of the failure message.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: WaitOptions | number = {},
): Promise<void> {
  const { timeoutMs = 15_000, intervalMs = 100 } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - started >= timeoutMs) break;
    await pause(intervalMs);
  }
  const why = lastError ? `; the last check failed with: ${String(lastError)}` : '';
  throw new WaitTimeoutError(`gave up after ${timeoutMs} ms waiting for ${what}${why}`);
}

/**
 * Watches `check` for `ms` and fails at once if it stops holding: for "nothing else
 * happens" (a message not sent twice, a card not reported), where waiting is the point.
 */
export async function holdsFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
  intervalMs = 100,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await check())) throw new Error(`${what} stopped holding`);
    await pause(intervalMs);
  }
  if (!(await check())) throw new Error(`${what} stopped holding`);
}
