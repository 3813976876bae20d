import { jobLinks } from '../../server/jobs/job-links.ts';
import type { JobContext } from '../../server/jobs/job-type.ts';
import { createMailer } from '../../server/services/mail/mailer.ts';
import type { TestApp } from './test-app.ts';
import { createTestLogger } from './test-logs.ts';

/**
 * What the queue's workers give a job, over a test app's database and clock, with the app's
 * configured mail (SMTP_URL in the test's env): the jobs run exactly as a worker runs them,
 * without waiting for a cron tick.
 */
export function testJobContext(t: TestApp): JobContext {
  const { logger } = createTestLogger();
  return {
    ctx: { ...t.ctx, mailer: createMailer(t.config, logger) },
    logger,
    links: jobLinks('https://ra.example.test'),
  };
}
