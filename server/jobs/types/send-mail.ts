import { sendDueNotifications } from '../../services/notifications/send-notifications.ts';
import type { JobType } from '../job-type.ts';

/** Sends the notifications due: new ones, and those whose back-off after a failure has passed. */
export const sendMail: JobType = {
  name: 'send-mail',
  description:
    'Sends notifications waiting to go, and retries those the mail server refused after their back-off (1, 5, 30, 120 minutes).',
  schedule: '* * * * *',
  scheduleWords: 'Every minute',
  async run({ ctx }) {
    return { ...(await sendDueNotifications(ctx)) };
  },
};
