import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cause } from './server-link.ts';
import { maxAnswerBytes, postJson } from './server-post.ts';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
});

async function serve(handler: RequestListener): Promise<string> {
  const s = createServer(handler);
  server = s;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('postJson', () => {
  it('sends the body and headers, and reads the status and the whole answer', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        res.writeHead(201, 'Made It', { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            got: JSON.parse(body),
            auth: req.headers.authorization,
            length: req.headers['content-length'],
          }),
        );
      });
    });
    const answer = await postJson(
      `${url}/api/x`,
      { 'content-type': 'application/json', authorization: 'Bearer abc' },
      JSON.stringify({ name: 'Siân' }),
      5000,
    );
    expect(answer).toMatchObject({ status: 201, statusText: 'Made It', ok: true });
    expect(JSON.parse(answer.text)).toEqual({
      got: { name: 'Siân' },
      auth: 'Bearer abc',
      length: String(Buffer.byteLength(JSON.stringify({ name: 'Siân' }))),
    });
  });

  it('gives a refusal as an answer, not an error', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(409);
      res.end('{"error":{"code":"conflict","message":"No."}}');
    });
    const answer = await postJson(url, {}, '{}', 5000);
    expect(answer).toMatchObject({ status: 409, ok: false });
    expect(answer.text).toContain('No.');
  });

  it('gives up on a server that does not answer in time, saying so', async () => {
    const url = await serve(() => {});
    const err = await postJson(url, {}, '{}', 200).catch((e: unknown) => e);
    expect(cause(err)).toMatch(/aborted due to timeout/);
  });

  it('gives up on an answer that stops half way, within the same time', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
    });
    const err = await postJson(url, {}, '{}', 300).catch((e: unknown) => e);
    expect(cause(err)).toMatch(/aborted due to timeout/);
  });

  it('refuses an answer larger than it takes', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(maxAnswerBytes + 1, 0x20));
    });
    await expect(postJson(url, {}, '{}', 5000)).rejects.toThrow(/larger than 1024 KiB/);
  });

  it("fails with the network's own words when nothing listens", async () => {
    const err = await postJson('http://127.0.0.1:9/', {}, '{}', 5000).catch((e: unknown) => e);
    expect(cause(err)).toMatch(/ECONNREFUSED/);
  });
});
