import { hostname } from 'node:os';
import { and, desc, eq, lt, ne, or } from 'drizzle-orm';
import { jobRuns } from '../../../db/schema/background.ts';
import type { ServiceContext } from '../context.ts';

export type JobRunTrigger = (typeof jobRuns.$inferSelect)['trigger'];
export type JobRun = typeof jobRuns.$inferSelect;

/** What a job returns: how many of each thing it did, by name. */
export type JobCounts = Record<string, number>;

/** This server process, as a run names it. */
export const processName = `${hostname()}:${process.pid}`;

/**
 * Runs `work` as one recorded run of `job`: a `running` row first (so a run that never ends
 * shows as such), then its outcome, counts and error. The error is rethrown, so the queue
 * retries the job with its back-off. The message kept is the error's own, never a stack.
 */
export async function recordJobRun(
  ctx: ServiceContext,
  run: { job: string; trigger: JobRunTrigger; queueJobId?: string | null },
  work: () => Promise<JobCounts>,
): Promise<JobRun> {
  const [row] = await ctx.db
    .insert(jobRuns)
    .values({
      job: run.job,
      trigger: run.trigger,
      process: processName,
      queueJobId: run.queueJobId ?? null,
      startedAt: ctx.now(),
      outcome: 'running',
    })
    .returning();
  if (!row) throw new Error('the job run was not recorded');
  try {
    const counts = await work();
    const [done] = await ctx.db
      .update(jobRuns)
      .set({ finishedAt: ctx.now(), outcome: 'succeeded', counts })
      .where(eq(jobRuns.id, row.id))
      .returning();
    return done ?? row;
  } catch (err) {
    await ctx.db
      .update(jobRuns)
      .set({
        finishedAt: ctx.now(),
        outcome: 'failed',
        error: (err instanceof Error ? err.message : String(err)).slice(0, 500),
      })
      .where(eq(jobRuns.id, row.id));
    throw err;
  }
}

/** Runs newest first, keyset-paged by (startedAt, id). */
export async function listJobRuns(
  ctx: ServiceContext,
  options: { job?: string; limit: number; after?: { startedAt: Date; id: string } },
): Promise<JobRun[]> {
  const { after } = options;
  return ctx.db
    .select()
    .from(jobRuns)
    .where(
      and(
        options.job ? eq(jobRuns.job, options.job) : undefined,
        after
          ? or(
              lt(jobRuns.startedAt, after.startedAt),
              and(eq(jobRuns.startedAt, after.startedAt), lt(jobRuns.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(jobRuns.startedAt), desc(jobRuns.id))
    .limit(options.limit);
}

/** How long runs are kept: the send-mail job alone runs every minute. */
export const jobRunRetentionDays = 90;

/** Deletes finished runs older than the retention; returns how many went. */
export async function purgeOldJobRuns(ctx: ServiceContext): Promise<number> {
  const before = new Date(ctx.now().getTime() - jobRunRetentionDays * 86_400_000);
  const gone = await ctx.db
    .delete(jobRuns)
    .where(and(lt(jobRuns.startedAt, before), ne(jobRuns.outcome, 'running')))
    .returning({ id: jobRuns.id });
  return gone.length;
}

/** A run still `running` after this long was lost with its process (the queue's expiry is 15 min). */
export const lostRunMinutes = 30;

/**
 * Marks runs left `running` by a process that died (killed, or the machine lost) as failed,
 * so the list does not show them running for ever; the queue has run the job again by then.
 */
export async function markLostJobRuns(ctx: ServiceContext): Promise<number> {
  const before = new Date(ctx.now().getTime() - lostRunMinutes * 60_000);
  const lost = await ctx.db
    .update(jobRuns)
    .set({
      outcome: 'failed',
      error: `No end was recorded within ${lostRunMinutes} minutes: the process running it stopped.`,
    })
    .where(and(eq(jobRuns.outcome, 'running'), lt(jobRuns.startedAt, before)))
    .returning({ id: jobRuns.id });
  return lost.length;
}
