import { api, ok, type Schemas } from '../api/client.ts';
import type { FormFeedback } from '../forms/form-feedback.ts';
import { AgentError, giveAgentJob } from './local-agent.ts';

type JobRequest = Schemas['CardJobRequest'];

/** A job the server made and the agent has not yet taken: its nonce still starts it. */
export interface WaitingJob {
  id: string;
  nonce: string;
  /** What it was asked for, so a retry with the same card reuses it. */
  key: string;
  expiresAt: number;
}

const keyOf = (r: JobRequest) => `${r.kind}:${r.cardSerial.toLowerCase()}:${r.workstationId}`;

/**
 * Asks the server for a card job, then hands it to the agent on this computer with the PIN
 * (which goes to 127.0.0.1 only). A job made earlier whose handing-over the agent refused (a
 * PIN it did not take) is handed over again rather than asking for another, which the
 * server would refuse while that one is live. Returns the job's id; throws the server's
 * ApiError or the agent's AgentError, with `waiting` set to the job to reuse.
 */
export async function startCardJob(
  request: JobRequest,
  agent: { reader: string; pin?: string; pinConfirmation?: string },
  waiting: { job: WaitingJob | null },
): Promise<string> {
  const key = keyOf(request);
  let job = waiting.job;
  if (!job || job.key !== key || job.expiresAt - Date.now() < 15_000) {
    const made = await ok(api.POST('/api/card-jobs', { body: request }));
    job = { id: made.id, nonce: made.nonce, key, expiresAt: Date.parse(made.expiresAt) };
    waiting.job = job;
  }
  // Kept until the job ends: if the agent cannot start it (the wrong card in the reader),
  // the job is still waiting and the same nonce starts it once the right card is in.
  await giveAgentJob({ jobId: job.id, nonce: job.nonce, ...agent });
  return job.id;
}

/** Shows a refusal from the server or the agent in a form, its field problems beside their fields. */
export function showJobError(feedback: FormFeedback, err: unknown) {
  if (err instanceof AgentError) {
    feedback.show(err.message, err.fieldProblems);
    return;
  }
  feedback.showError(err);
}
