import { applyImportBatch, defaultBatchSize } from '../../services/imports/apply-import-batch.ts';
import type { JobType } from '../job-type.ts';

/**
 * Applies an ESR import or a list of card cancellations that someone asked to apply
 * (POST /api/esr-imports/{id}/apply), batch after batch, each batch its own transaction acting
 * as the account that asked. A retry, or another process taking the job after this one died,
 * resumes after the last batch committed: nothing is applied twice (docs/esr-import.md).
 */
export const applyImport: JobType<{ importId?: unknown; batchSize?: unknown }> = {
  name: 'import-apply',
  description: 'Applies an ESR import or a list of card cancellations, in batches.',
  retryLimit: 5,
  retryDelaySeconds: 30,
  expireInSeconds: 60 * 60,
  runByHand: false,
  async run({ ctx }, data) {
    const importId = typeof data.importId === 'string' ? data.importId : '';
    if (!/^[0-9a-f-]{36}$/i.test(importId)) throw new Error('import-apply needs an importId');
    const batchSize =
      typeof data.batchSize === 'number' && Number.isInteger(data.batchSize) && data.batchSize > 0
        ? data.batchSize
        : defaultBatchSize;
    let batches = 0;
    for (;;) {
      const { more, done } = await applyImportBatch(ctx, importId, batchSize);
      batches += 1;
      // `done`: the import's lines applied so far, by this run and any before it.
      if (!more) return { batches, lines: done };
      // Let requests (the progress bar's polls) in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  },
};
