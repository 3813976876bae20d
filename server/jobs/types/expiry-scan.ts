import { planNotifications } from '../../services/notifications/plan-notifications.ts';
import { sendDueNotifications } from '../../services/notifications/send-notifications.ts';
import type { JobType } from '../job-type.ts';

/**
 * The daily expiry watch: writes today's digests (certificates at 90, 60, 30, 7 days and on
 * expiry, blocked PINs, positions ending within 14 days) and sends them.
 */
export const expiryScan: JobType = {
  name: 'expiry-scan',
  description:
    'Tells holders (and at 30 and 7 days their sponsors, on expiry the RA) of certificates expiring, blocked PINs and positions ending; one digest per person a day.',
  schedule: '0 7 * * *',
  scheduleWords: 'Every day at 07:00',
  async run({ ctx, links }) {
    const planned = await planNotifications(ctx, links);
    const sent = await sendDueNotifications(ctx);
    return { ...planned, ...sent };
  },
};
