import { hostname } from 'node:os';
import type { AgentConfig } from './agent-config.ts';
import { AgentError } from './agent-error.ts';
import type { QueuedObservation } from './observation.ts';
import type { Delivery } from './outbox.ts';
import { postJson, type ServerAnswer } from './server-post.ts';

/** How long the agent waits for the RA server on any one call. */
export const serverTimeoutMs = 15_000;

/** The server's error body, or a line saying what came back instead. */
function messageOf(res: ServerAnswer): string {
  try {
    const body = JSON.parse(res.text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {}
  return `the server answered ${res.status} ${res.statusText}`.trim();
}

/** Why a call failed, in the network's words (the cause an abort, or fetch, wraps). */
export const cause = (err: unknown) =>
  err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);

/**
 * Refuses to send a credential in clear over a network: http is for this machine only.
 * Returns the server's origin.
 */
export function checkServerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentError(`"${url}" is not a web address. Give the RA server's, as https://…`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new AgentError(
      `The agent talks to the RA server over https only (plain http is allowed to this machine, for a demo): ${parsed.origin}`,
    );
  }
  return parsed.origin;
}

export interface Enrolment {
  workstationId: string;
  workstationName: string;
  organisation?: { odsCode: string; name: string };
  credential: string;
}

/** Exchanges a one-time enrolment code for this workstation's credential. */
export async function enrol(server: string, code: string): Promise<Enrolment> {
  const origin = checkServerUrl(server);
  let res: ServerAnswer;
  try {
    res = await postJson(
      `${origin}/api/agent/enrol`,
      { 'content-type': 'application/json' },
      JSON.stringify({ code: code.trim(), hostname: hostname().slice(0, 200) }),
      serverTimeoutMs,
    );
  } catch (err) {
    throw new AgentError(`Cannot reach the RA server at ${origin}: ${cause(err)}`);
  }
  if (res.status !== 201) throw new AgentError(messageOf(res));
  let body: Enrolment;
  try {
    body = JSON.parse(res.text) as Enrolment;
  } catch {
    throw new AgentError(`The server at ${origin} did not answer as an RA server: not JSON`);
  }
  if (typeof body.credential !== 'string' || typeof body.workstationId !== 'string') {
    throw new AgentError(`The server at ${origin} did not answer as an RA server: no credential`);
  }
  return body;
}

/** Sends one queued observation, and says what the queue should do with it. */
export function observationSender(config: () => AgentConfig) {
  return async (observation: QueuedObservation): Promise<Delivery> => {
    const { server, credential } = config();
    let res: ServerAnswer;
    try {
      res = await postJson(
        `${server}/api/agent/observations`,
        { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        JSON.stringify(observation),
        serverTimeoutMs,
      );
    } catch (err) {
      return { outcome: 'retry', reason: `cannot reach ${server}: ${cause(err)}` };
    }
    if (res.status === 200 || res.status === 201) return { outcome: 'delivered' };
    const message = messageOf(res);
    if (res.status === 401 || res.status === 403) {
      return {
        outcome: 'retry',
        reason: `the server refuses this workstation's credential (${message}); an RA manager can give a new enrolment code`,
      };
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      return { outcome: 'rejected', reason: message };
    }
    return { outcome: 'retry', reason: message };
  };
}
