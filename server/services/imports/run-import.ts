import type { ServiceContext } from '../context.ts';
import { applyImportBatch, defaultBatchSize } from './apply-import-batch.ts';

/**
 * Applies an import to the end, batch after batch, in this process: what a queue job will
 * do once the job queue is merged (then the route enqueues `{ importId }` instead of
 * calling this, and the worker calls this, or one `applyImportBatch` per job). Each batch
 * is its own transaction, so a process that dies here loses at most the batch under way,
 * and calling this again (applying the import again) finishes the rest.
 */
export async function runImport(
  ctx: ServiceContext,
  importId: string,
  options: { batchSize?: number } = {},
): Promise<void> {
  for (;;) {
    const { more } = await applyImportBatch(ctx, importId, options.batchSize ?? defaultBatchSize);
    if (!more) return;
    // Let requests (the progress bar's polls) in between batches on a busy event loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
