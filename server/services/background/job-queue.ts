/**
 * The background job queue as routes and services see it (server/jobs/queue.ts starts the
 * real one on pg-boss). Absent in an app built without a queue (most tests): then asking for
 * a run answers 503.
 */
export interface JobQueue {
  /** Puts a run of a registered job on the queue; any process's worker takes it. */
  send(name: string, data?: Record<string, unknown>): Promise<string | null>;
  stop(): Promise<void>;
}
