import type { AgentConfig } from '../agent-config.ts';
import { cause, serverTimeoutMs } from '../server-link.ts';
import { postJson, type ServerAnswer } from '../server-post.ts';
import { type JobServer, JobServerError, type StartBody, type StepsBody } from './job-protocol.ts';

/** The error body every RA server answer has, or a line saying what came back instead. */
function refusal(res: ServerAnswer): JobServerError {
  try {
    const body = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.message === 'string') {
      const code = typeof body.error.code === 'string' ? body.error.code : null;
      return new JobServerError(body.error.message.slice(0, 500), res.status, code);
    }
  } catch {}
  return new JobServerError(
    `the RA server answered ${res.status} ${res.statusText}`.trim(),
    res.status,
  );
}

/**
 * The agent protocol's client (docs/card-jobs.md): the workstation's Bearer credential, a
 * 15-second limit on every call, and the server's own message when it refuses. The bodies
 * it sends never hold a PIN: the runner never puts one in a step.
 */
export function jobServerClient(
  config: () => Pick<AgentConfig, 'server' | 'credential'>,
): JobServer {
  const post = async (path: string, body: StartBody | StepsBody): Promise<unknown> => {
    const { server, credential } = config();
    let res: ServerAnswer;
    try {
      res = await postJson(
        `${server}${path}`,
        { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        JSON.stringify(body),
        serverTimeoutMs,
      );
    } catch (err) {
      throw new JobServerError(`the RA server at ${server} could not be reached: ${cause(err)}`, 0);
    }
    if (!res.ok) throw refusal(res);
    try {
      return JSON.parse(res.text) as unknown;
    } catch {
      throw new JobServerError(`the RA server at ${server} did not answer in JSON`, res.status);
    }
  };
  const jobPath = (id: string) => `/api/agent/jobs/${encodeURIComponent(id)}`;
  return {
    start: (id, body) => post(`${jobPath(id)}/start`, body),
    step: (id, body) => post(`${jobPath(id)}/steps`, body),
  };
}
