import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobServerClient } from '../agent/card-job/job-server-client.ts';
import { credential, JobServerStandIn } from '../agent/card-job/job-server-stand-in.ts';
import { runCardJob } from '../agent/card-job/run-card-job.ts';
import { cardSerialOf } from '../agent/observation.ts';
import { readPivCard, type Transmit } from '../agent/read-piv-card.ts';
import { blankProfile } from '../simulator/card-profile.ts';
import { PivCard } from '../simulator/piv-card.ts';
import type { AgentJobs, CardReaders } from './job-routes.ts';
import { type LocalApi, startLocalApi } from './local-api.ts';

/**
 * The local API's card jobs: POST /jobs checks, origin rules, GET /jobs/{id} and /status.
 * The readers are an in-process stand-in for PcscWatcher holding a simulated card, and the
 * RA server is the stand-in of job-server-stand-in.ts (the real server is being built at the
 * same time); test/reader runs the agent with pcscd and the real server end to end.
 */

const page = 'https://ra.example.test';
const reader = 'Desk Reader 00 00';

/** One reader with a simulated card in it, another empty; card uses queue as PcscWatcher's do. */
class Readers extends EventEmitter implements CardReaders {
  readonly card = new PivCard(blankProfile());
  state: { reader: string; atr: Buffer | null }[] = [
    { reader, atr: this.card.atr },
    { reader: 'Empty Reader 00 01', atr: null },
  ];
  /** While set, the card waits before each answer: a job stays running. */
  hold: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  withCard<T>(_reader: string, fn: (transmit: Transmit) => Promise<T>): Promise<T> {
    const run = this.queue.then(() =>
      fn(async (apdu) => {
        await this.hold;
        return this.card.transmit(apdu);
      }),
    );
    this.queue = run.catch(() => {});
    return run;
  }
}

let standIn: JobServerStandIn;
let readers: Readers;
let watchApi: LocalApi;
let localOnly: LocalApi;
const logged: string[] = [];
const bodies: string[] = [];

beforeAll(async () => {
  standIn = new JobServerStandIn();
  await standIn.start();
  readers = new Readers();
  const server = jobServerClient(() => ({ server: standIn.origin, credential }));
  const jobs: AgentJobs = {
    workstation: { id: 'ws-1', name: 'RA desk 1' },
    server: standIn.origin,
    run: (transmit, input, onStep) => runCardJob({ transmit, server, input, onStep }),
    log: (line) => logged.push(line),
  };
  watchApi = await startLocalApi({ watcher: readers, allowedOrigins: [page], port: 0, jobs });
  localOnly = await startLocalApi({ watcher: readers, allowedOrigins: [page], port: 0 });
});
afterAll(async () => {
  await watchApi?.close();
  await localOnly?.close();
  await standIn?.close();
});

async function call(
  api: LocalApi,
  path: string,
  init: RequestInit & { origin?: string | null } = {},
) {
  const { origin = page, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (origin) headers.set('origin', origin);
  const res = await fetch(`http://127.0.0.1:${api.port}${path}`, { ...rest, headers });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
const postJob = (body: unknown, api = watchApi) =>
  call(api, '/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function settled(jobId: string) {
  for (let i = 0; i < 200; i++) {
    const { body } = await call(watchApi, `/jobs/${jobId}`);
    if (body.state !== 'running') return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${jobId} still running`);
}

describe('the local API for card jobs', () => {
  it('says whether it runs jobs: in watch mode, for its workstation and server; in serve-local, not', async () => {
    expect((await call(watchApi, '/status')).body).toEqual({
      workstation: { id: 'ws-1', name: 'RA desk 1' },
      server: standIn.origin,
      jobs: true,
    });
    expect((await call(localOnly, '/status')).body).toEqual({
      workstation: null,
      server: null,
      jobs: false,
    });
    const refused = await postJob({}, localOnly);
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toMatch(/^This agent is not enrolled/);
  });

  it('answers pages of its origins only, and lets them POST JSON after a preflight', async () => {
    for (const path of ['/status', '/jobs']) {
      const evil = await call(watchApi, path, {
        method: path === '/jobs' ? 'POST' : 'GET',
        origin: 'https://evil.example',
      });
      expect(evil.status).toBe(403);
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      expect((await call(watchApi, path, { origin: null })).status).toBe(403);
    }
    const preflight = await call(watchApi, '/jobs', {
      method: 'OPTIONS',
      headers: {
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(page);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const evilPreflight = await call(watchApi, '/jobs', {
      method: 'OPTIONS',
      origin: 'https://evil.example',
    });
    expect(evilPreflight.status).toBe(403);
  });

  it('refuses a bad job request by field, without repeating the PIN', async () => {
    const jobId = '2f0c1a6e-0b7d-4c55-9a43-5d1b7c1e9f00';
    const base = { jobId, nonce: 'n0nce', reader };
    const cases: [unknown, string, string][] = [
      [
        { ...base, pin: '12a456', pinConfirmation: '12a456' },
        'pin',
        'The PIN is numbers only: 6 to 8 digits.',
      ],
      [
        { ...base, pin: '1234', pinConfirmation: '1234' },
        'pin',
        'The PIN must be 6 to 8 digits; this one has 4.',
      ],
      [
        { ...base, pin: '13572468', pinConfirmation: '13572469' },
        'pinConfirmation',
        'The PIN and its confirmation are not the same.',
      ],
      [
        { ...base, jobId: 'job-1' },
        'jobId',
        "jobId must be the job's id as the RA server gave it (a UUID).",
      ],
      [
        { ...base, nonce: '' },
        'nonce',
        'nonce must be the one-time code the RA server gave with the job.',
      ],
      [{ ...base, reader: 7 }, 'reader', 'reader must name the reader that holds the card.'],
      [{ ...base, pinConfirm: '135724' }, 'pinConfirm', 'pinConfirm is not a field a job takes.'],
    ];
    for (const [body, field, message] of cases) {
      const res = await postJob(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION',
        message,
        details: [{ field, message }],
      });
    }
    const notJson = await call(watchApi, '/jobs', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(notJson.status).toBe(415);
    const unknown = await postJob({ ...base, reader: 'Nowhere' });
    expect(unknown).toMatchObject({
      status: 404,
      body: { error: { message: 'This workstation has no reader called "Nowhere".' } },
    });
    const empty = await postJob({ ...base, reader: 'Empty Reader 00 01' });
    expect(empty).toMatchObject({ status: 409, body: { error: { code: 'NO_CARD' } } });
    expect(readers.card.profile.pinTries).toBe(3);
    expect(bodies.join('\n')).not.toMatch(/12a456|13572468|13572469|135724/);
  });

  it('runs a job in the background, one per reader, and tells how it went', async () => {
    const { card } = readers;
    const serial = cardSerialOf(await readPivCard(async (a) => card.transmit(a)));
    expect((await call(watchApi, '/cards')).body.cards[0].serial).toBe(serial);
    standIn.card(serial as string);
    const job = standIn.job('issue', serial as string);
    let release = () => {};
    readers.hold = new Promise((r) => {
      release = r;
    });
    const pins = { pin: '86420135', pinConfirmation: '86420135' };
    const accepted = await postJob({ jobId: job.id, nonce: job.nonce, reader, ...pins });
    expect(accepted).toMatchObject({ status: 202, body: { jobId: job.id } });
    expect((await call(watchApi, `/jobs/${job.id}`)).body).toMatchObject({
      state: 'running',
      step: null,
      error: null,
    });
    const other = standIn.job('unlock', serial as string);
    const busy = await postJob({ jobId: other.id, nonce: other.nonce, reader, ...pins });
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toContain('A job is already running');
    release();
    readers.hold = undefined;
    expect(await settled(job.id)).toMatchObject({
      state: 'succeeded',
      kind: 'issue',
      step: 'completed',
      error: null,
      apdus: 11,
    });
    // The card was read afresh after the job: the page sees the certificate it now holds.
    const cards = (await call(watchApi, '/cards')).body.cards;
    expect(cards[0]).toMatchObject({ serial, holder: { name: 'Nia Okafor' } });
    const again = await postJob({ jobId: job.id, nonce: job.nonce, reader, ...pins });
    expect(again.status).toBe(409);
    expect(logged.at(-1)).toMatch(
      /^card job .* \(issue\) on Desk Reader 00 00: succeeded, 11 APDUs in \d+ ms/,
    );
    expect([...bodies, ...logged, ...standIn.bodies].join('\n')).not.toContain('86420135');
  });

  it('keeps what the server said when it would not start the job, for the page to show', async () => {
    const job = standIn.job('renew', 'some-other-card');
    const res = await postJob({ jobId: job.id, nonce: job.nonce, reader });
    expect(res.status).toBe(202);
    const ended = await settled(job.id);
    expect(ended).toMatchObject({ state: 'failed', step: null, during: 'start' });
    expect(ended.error).toMatch(
      /^The RA server refused to start the job: This job is for card some-other-card/,
    );
    expect((await call(watchApi, '/jobs/6b1d3c2e-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
