import { purgeDeadSessions } from '../../services/auth/sessions.ts';
import { purgeOldUnlockCodes } from '../../services/unlock-codes/purge-old-unlock-codes.ts';
import type { JobType } from '../job-type.ts';

/** Deletes ended and expired sessions, old failed sign-ins and spent one-time unlock codes. */
export const purgeOldRecords: JobType = {
  name: 'purge-old-records',
  description: 'Deletes sessions that can no longer be used and one-time unlock codes a day old.',
  schedule: '40 * * * *',
  async run({ ctx }) {
    await purgeDeadSessions(ctx);
    return { unlockCodes: await purgeOldUnlockCodes(ctx) };
  },
};
