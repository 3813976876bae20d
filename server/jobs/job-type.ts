import type { Logger } from '../logger.ts';
import type { JobCounts } from '../services/background/job-runs.ts';
import type { ServiceContext } from '../services/context.ts';
import type { DigestLinks } from '../services/notifications/compose-digest.ts';

/** What every job's run receives: a service context (no request), the log, and links to pages. */
export interface JobContext {
  ctx: ServiceContext;
  logger: Logger;
  links: DigestLinks;
}

/**
 * One kind of background work: a file in server/jobs/types/ exports one, and
 * server/jobs/job-types.ts registers it. `run` does the work through services and returns
 * what it counted; it must be safe to run again (a retry, a process killed halfway, two
 * processes at once), because the queue delivers at least once.
 */
export interface JobType<Data = Record<string, unknown>> {
  /** The queue's name: lower-case words and hyphens. */
  name: string;
  /** What it does, for the RA managers' page. */
  description: string;
  /** A cron expression (the trust's time, Europe/London) when it runs by itself. */
  schedule?: string;
  /** The schedule as the RA managers' page says it: "Every day at 07:00". */
  scheduleWords?: string;
  /** Retries after a failure (default 3), waiting `retryDelaySeconds` doubled each time. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** How long a run may take before the queue counts it lost and runs it again (default 15 min). */
  expireInSeconds?: number;
  /**
   * Whether an RA manager may run it by hand ("Run now"; default yes). No for a job that only
   * makes sense with data someone's action put on the queue (applying an import).
   */
  runByHand?: boolean;
  run(job: JobContext, data: Data): Promise<JobCounts>;
}
