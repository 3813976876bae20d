import { endExpiredAssignments } from '../../services/assignments/end-expired-assignments.ts';
import type { JobType } from '../job-type.ts';

/** Marks assignments past their end date as ended (expired), so lists and history say so. */
export const endExpiredPositions: JobType = {
  name: 'position-expiry',
  description: 'Ends the position assignments whose end date has passed.',
  schedule: '5 0 * * *',
  scheduleWords: 'Every day at 00:05',
  async run({ ctx }) {
    return { ended: await endExpiredAssignments(ctx) };
  },
};
