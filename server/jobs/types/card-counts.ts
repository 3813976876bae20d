import { checkCardTallies, foldCardTallies } from '../../services/dashboard/card-tallies.ts';
import type { JobType } from '../job-type.ts';

/** Folds the dashboard's running counts, so that they stay a few rows per organisation. */
export const foldCardCounts: JobType = {
  name: 'fold-card-counts',
  description:
    'Keeps the dashboard and the system-access report quick: adds up the card, flag and assignment changes since its last run into their counts. No figure changes.',
  schedule: '*/10 * * * *',
  scheduleWords: 'Every 10 minutes',
  async run({ ctx }) {
    const { folded } = await foldCardTallies(ctx);
    return { 'changes added up': folded };
  },
};

/**
 * Counts every card and flag afresh and corrects the dashboard's running counts; a count
 * found wrong is counted ("counts corrected") and logged, as it means something changed the
 * cards behind the triggers' back.
 */
export const checkCardCounts: JobType = {
  name: 'check-card-counts',
  description:
    "Recounts every card and open flag, and who has access to each clinical system, and compares the dashboard's and the reports' counts with them, correcting any that differ (none should). Card and assignment changes wait while it counts: seconds, at night.",
  schedule: '20 3 * * *',
  scheduleWords: 'Every day at 03:20',
  expireInSeconds: 30 * 60,
  async run({ ctx, logger }) {
    const { wrong, counts } = await checkCardTallies(ctx);
    if (wrong) {
      logger.warn(
        { wrong },
        'the dashboard or access counts differed from the cards or assignments: corrected (were they changed with the triggers off?)',
      );
    }
    return { 'counts checked': counts, 'counts corrected': wrong };
  },
};
