import { DomainError } from '../errors.ts';
import { type JobRun, type JobRunTrigger, recordJobRun } from '../services/background/job-runs.ts';
import type { JobContext } from './job-type.ts';
import { jobType } from './job-types.ts';

export class UnknownJobError extends DomainError {
  constructor(name: string) {
    super('NOT_FOUND', `There is no background job named "${name}".`);
  }
}

/**
 * Runs one registered job as one recorded run: what the queue's workers call for each job
 * they take, and what "run now" calls in the process that got the request.
 */
export function runJob(
  job: JobContext,
  name: string,
  run: { trigger: JobRunTrigger; queueJobId?: string | null; data?: Record<string, unknown> },
): Promise<JobRun> {
  const type = jobType(name);
  if (!type) throw new UnknownJobError(name);
  return recordJobRun(
    job.ctx,
    { job: name, trigger: run.trigger, queueJobId: run.queueJobId ?? null },
    () => type.run(job, run.data ?? {}),
  );
}
