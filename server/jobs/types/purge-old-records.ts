import { purgeDeadSessions } from '../../services/auth/sessions.ts';
import { markLostJobRuns, purgeOldJobRuns } from '../../services/background/job-runs.ts';
import { purgeOldUnlockCodes } from '../../services/unlock-codes/purge-old-unlock-codes.ts';
import type { JobType } from '../job-type.ts';

/**
 * Deletes ended and expired sessions, old failed sign-ins, spent one-time unlock codes and
 * job runs past their retention (90 days); marks runs whose process died as failed.
 */
export const purgeOldRecords: JobType = {
  name: 'purge-old-records',
  description:
    'Deletes sessions that can no longer be used, one-time unlock codes a day old and job runs older than 90 days.',
  schedule: '40 * * * *',
  scheduleWords: 'Every hour, at 40 minutes past',
  async run({ ctx }) {
    await purgeDeadSessions(ctx);
    return {
      unlockCodes: await purgeOldUnlockCodes(ctx),
      jobRuns: await purgeOldJobRuns(ctx),
      lostRuns: await markLostJobRuns(ctx),
    };
  },
};
