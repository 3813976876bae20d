import type { CardJobKind, JobStep } from '../agent/card-job/job-protocol.ts';
import type { CardJobResult } from '../agent/card-job/run-card-job.ts';

/** A job as the agent knows it, for GET /jobs/{id}: no PIN, PUK or key, ever. */
export interface LocalJobView {
  jobId: string;
  reader: string;
  state: 'running' | 'succeeded' | 'failed';
  kind: CardJobKind | null;
  step: JobStep | null;
  error: string | null;
  during: JobStep | 'start' | null;
  apdus: number | null;
  ms: number | null;
}

const keptEnded = 100;

/**
 * The jobs this agent has run since it started: one running job per reader at most, and the
 * last hundred that ended, so the page can learn how a job went even when the server never
 * heard of it (a start the server refused).
 */
export class JobBoard {
  private readonly jobs = new Map<string, LocalJobView>();
  private readonly running = new Map<string, string>();

  runningOn(reader: string): string | undefined {
    return this.running.get(reader);
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  view(jobId: string): LocalJobView | undefined {
    const job = this.jobs.get(jobId);
    return job && { ...job };
  }

  begin(jobId: string, reader: string): void {
    this.jobs.set(jobId, {
      jobId,
      reader,
      state: 'running',
      kind: null,
      step: null,
      error: null,
      during: null,
      apdus: null,
      ms: null,
    });
    this.running.set(reader, jobId);
  }

  step(jobId: string, step: JobStep): void {
    const job = this.jobs.get(jobId);
    if (job) job.step = step;
  }

  finish(jobId: string, result: Omit<CardJobResult, 'jobId' | 'cardSerial'>): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    Object.assign(job, {
      state: result.state,
      kind: result.kind,
      step: result.step,
      error: result.error,
      during: result.during,
      apdus: result.apdus,
      ms: result.ms,
    });
    if (this.running.get(job.reader) === jobId) this.running.delete(job.reader);
    const ended = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const old of ended.slice(0, Math.max(0, ended.length - keptEnded)))
      this.jobs.delete(old.jobId);
  }
}
