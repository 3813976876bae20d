import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transmit } from '../agent/read-piv-card.ts';
import type { AgentJobs, CardReaders } from './job-routes.ts';
import { type LocalApi, startLocalApi } from './local-api.ts';

/**
 * The loopback API attacked as a hostile page or a rebinding DNS name would: other origins,
 * another Host, a PIN in the URL, huge bodies, and a PIN in any answer or log line.
 */
const page = 'https://ra.example.test';
const reader = 'Desk Reader 00 00';
const pin = '13572468';

class Readers extends EventEmitter implements CardReaders {
  state = [{ reader, atr: Buffer.from('3b8c8001', 'hex') as Buffer | null }];
  withCard<T>(_reader: string, fn: (transmit: Transmit) => Promise<T>): Promise<T> {
    return fn(async () => Buffer.from('6a82', 'hex'));
  }
}

let api: LocalApi;
const logged: string[] = [];
const answers: string[] = [];

beforeAll(async () => {
  const jobs: AgentJobs = {
    workstation: { id: 'ws-attack', name: 'RA desk (attack)' },
    server: page,
    // A job that fails with the PIN in its error, as a careless card layer might word it.
    run: async (_transmit, input) => {
      throw new Error(`the card refused PIN ${input.pin} (confirmation ${input.pinConfirmation})`);
    },
    log: (line) => logged.push(line),
  };
  api = await startLocalApi({ watcher: new Readers(), allowedOrigins: [page], port: 0, jobs });
});
afterAll(() => api?.close());

/** A raw request: node:http lets a test send any Host and Origin, as a rebinding page would. */
function raw(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: api.port,
        path,
        method: init.method ?? 'GET',
        // An empty Host is sent as no Host at all.
        headers: Object.fromEntries(
          Object.entries({ host: `127.0.0.1:${api.port}`, origin: page, ...init.headers }).filter(
            ([, v]) => v !== '',
          ),
        ),
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          answers.push(body);
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    req.on('error', (err) => {
      // The server may close on a body it refused before reading it all.
      if (
        (err as NodeJS.ErrnoException).code === 'ECONNRESET' ||
        (err as NodeJS.ErrnoException).code === 'EPIPE'
      )
        resolve({ status: 0, body: '', headers: {} });
      else reject(err);
    });
    if (init.body) req.write(init.body);
    req.end();
  });
}

describe('the local API under attack', () => {
  it('answers no other Host (DNS rebinding) and no other origin', async () => {
    for (const host of [
      `evil.example:${api.port}`,
      `127.0.0.1.evil.example:${api.port}`,
      `localhost.evil.example:${api.port}`,
      '127.0.0.1',
      `127.0.0.1:${api.port + 1}`,
      `127.0.0.1:${api.port}.evil.example`,
      '',
    ]) {
      const res = await raw('/status', { headers: { host } });
      // No Host at all: Node's HTTP server refuses it (400) before the agent sees it.
      expect(res.status, host).toBe(host === '' ? 400 : 403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    for (const origin of [
      'null',
      'https://ra.example.test.evil.example',
      'http://ra.example.test',
      'https://ra.example.test/',
      'https://RA.example.test',
      'https://ra.example.test:443',
    ]) {
      const res = await raw('/status', { headers: { origin } });
      expect(res.status, origin).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect((await raw('/status')).status).toBe(200);
  });

  it('refuses huge and non-JSON bodies before reading them whole', async () => {
    const huge = await raw('/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(1_000_000, 0x20),
    });
    expect([413, 0]).toContain(huge.status);
    const text = await raw('/jobs', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ pin }),
    });
    expect(text.status).toBe(415);
    const nul = await raw('/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jobId":"\u0000","pin":"1357\u00002468"}',
    });
    expect(nul.status).toBe(400);
  });

  it('never repeats a PIN, from the URL, the body, or a failing job, in an answer or a log line', async () => {
    const jobId = '6b1d3c2e-0000-4000-8000-00000000a77a';
    // A page that put the PIN in the URL, in the query or the path.
    for (const path of [
      `/jobs/${jobId}?pin=${pin}`,
      `/jobs/${pin}`,
      `/jobs?pin=${pin}`,
      `/status?pin=${pin}`,
    ]) {
      const res = await raw(path);
      expect(res.body, path).not.toContain(pin);
    }
    const posted = await raw(`/jobs?pin=${pin}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jobId, nonce: 'n0nce', reader, pin, pinConfirmation: pin }),
    });
    expect(posted.status).toBe(202);
    let view = await raw(`/jobs/${jobId}`);
    for (let i = 0; i < 100 && JSON.parse(view.body).state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      view = await raw(`/jobs/${jobId}`);
    }
    expect(JSON.parse(view.body)).toMatchObject({ state: 'failed' });
    expect(logged.length).toBeGreaterThan(0);
    expect([...answers, ...logged].join('\n')).not.toContain(pin);
  });
});
