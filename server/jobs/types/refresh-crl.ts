import { refreshCrlIfDue } from '../../services/pki/refresh-crl.ts';
import type { JobType } from '../job-type.ts';

/** Publishes a new CRL days before the current one's nextUpdate. */
export const refreshCrl: JobType = {
  name: 'crl-refresh',
  description: 'Publishes a new certificate revocation list before the current one’s next update.',
  schedule: '17 * * * *',
  scheduleWords: 'Every hour, at 17 minutes past, and when the server starts',
  async run({ ctx }) {
    const published = await refreshCrlIfDue(ctx);
    return { published: published === null ? 0 : 1 };
  },
};
