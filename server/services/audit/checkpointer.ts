import type { Logger } from '../../logger.ts';
import type { ServiceContext } from '../context.ts';
import { makeCheckpoint, publishedCheckpoint } from './checkpoints.ts';

/**
 * Signs a checkpoint now and then each `intervalMs` that saw new events, and publishes
 * each to the log stream (`audit checkpoint`, with its fields and signature) so a copy
 * lives outside the database. A broken trail is logged as an error, and nothing is signed.
 */
export function startCheckpointer(
  ctx: ServiceContext,
  logger: Logger,
  intervalMs = 60_000,
): { stop: () => void; tick: () => Promise<void> } {
  let running: Promise<void> | null = null;
  let lastProblem: string | null = null;
  const once = async () => {
    const made = await makeCheckpoint(ctx);
    if (!made.ok) {
      if (made.problem !== lastProblem) {
        logger.error(
          { firstBrokenId: made.verdict?.firstBrokenId ?? null, problem: made.problem },
          'audit trail broken: no checkpoint signed',
        );
      }
      lastProblem = made.problem;
      return;
    }
    lastProblem = null;
    if (made.created) {
      logger.info(publishedCheckpoint(made.checkpoint, ctx.auditKeys), 'audit checkpoint');
    }
  };
  const tick = () => {
    // One at a time: the first, over a long trail, may take longer than the interval.
    running ??= once()
      .catch((err) => logger.error({ err }, 'audit checkpoint failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  void tick();
  return { stop: () => clearInterval(timer), tick };
}
