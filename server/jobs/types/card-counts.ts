import { checkCardTallies, foldCardTallies } from '../../services/dashboard/card-tallies.ts';
import type { JobType } from '../job-type.ts';

/** Folds the dashboard's running counts, so that they stay a few rows per organisation. */
export const foldCardCounts: JobType = {
  name: 'fold-card-counts',
  description:
    'Folds the running counts behind the dashboard (cards by state and expiry day, open flags) into one row per organisation and day.',
  schedule: '*/10 * * * *',
  scheduleWords: 'Every 10 minutes',
  async run({ ctx }) {
    return foldCardTallies(ctx);
  },
};

/**
 * Counts every card and flag afresh and corrects the dashboard's running counts; a count
 * found wrong is counted (`wrong`) and logged, as it means something changed the cards
 * behind the triggers' back.
 */
export const checkCardCounts: JobType = {
  name: 'check-card-counts',
  description:
    "Counts every card and open flag afresh and corrects the dashboard's running counts where they differ (they should not).",
  schedule: '20 3 * * *',
  scheduleWords: 'Every day at 03:20',
  expireInSeconds: 30 * 60,
  async run({ ctx, logger }) {
    const result = await checkCardTallies(ctx);
    if (result.wrong) {
      logger.warn(
        { wrong: result.wrong },
        'the dashboard counts differed from the cards: corrected (were cards changed with the triggers off?)',
      );
    }
    return result;
  },
};
