import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CardSummary, summariseCard } from '../agent/card-summary.ts';
import { readPivCard } from '../agent/read-piv-card.ts';
import { JobBoard } from './job-board.ts';
import {
  type AgentJobs,
  type Answer,
  type CardReaders,
  getJob,
  jsonBody,
  postJob,
} from './job-routes.ts';

export interface LocalApiOptions {
  /** The PC/SC watcher (or anything that answers as it does). */
  watcher: CardReaders;
  /** Origins whose pages may call us: the RA server's. Everything else is refused. */
  allowedOrigins: string[];
  port: number;
  /** In watch mode, where the agent is enrolled: card jobs. Absent in serve-local. */
  jobs?: AgentJobs;
}

/** The Host headers a browser sends for this machine's loopback address and `port`. */
const loopbackHosts = (port: number) => [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];

export interface LocalApi {
  port: number;
  close(): Promise<void>;
}

/**
 * The agent's API for the web page on the same workstation: `GET /status`, `GET /cards`, and
 * in watch mode the card jobs, `POST /jobs` and `GET /jobs/{id}`. It listens on 127.0.0.1
 * only, answers only calls from pages of the configured origins (and under its own address,
 * against DNS rebinding), and never sends a PIN or a key.
 * Each card is read once per insertion, and again after a job; the page polls the summary.
 */
export function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const cache = new Map<string, Promise<CardSummary | { reader: string; error: string }>>();
  const { watcher } = options;
  const board = new JobBoard();
  const forget = ({ reader }: { reader: string }) => cache.delete(reader);
  watcher.on('card-inserted', forget);
  watcher.on('card-removed', forget);
  watcher.on('reader-removed', (reader: string) => cache.delete(reader));
  const jobContext = {
    board,
    readers: watcher,
    jobs: options.jobs,
    // A job changed the card: its summary is read afresh.
    ended: (reader: string) => cache.delete(reader),
  };

  const summary = (reader: string, atr: Buffer | undefined) => {
    let pending = cache.get(reader);
    if (!pending) {
      pending = watcher
        .withCard(reader, (transmit) => readPivCard(transmit, atr))
        .then((reading) => summariseCard(reader, reading))
        .catch((err: unknown) => {
          cache.delete(reader); // a card pulled out mid-read is read again next time
          return {
            reader,
            error: err instanceof Error ? err.message : 'the card could not be read',
          };
        });
      cache.set(reader, pending);
    }
    return pending;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  const refuse = (res: ServerResponse, message: string) =>
    send(res, 403, { error: { code: 'FORBIDDEN', message } });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // A page that reached us under another name (DNS rebinding) is not answered: the Host
    // must be this machine's loopback address and our port.
    const host = req.headers.host ?? '';
    if (!loopbackHosts(port()).includes(host.toLowerCase())) {
      return refuse(
        res,
        `This agent answers only at 127.0.0.1:${port()}, not ${host.slice(0, 100)}.`,
      );
    }
    // Browsers name the page's origin on every cross-origin call; a call without one is not
    // from the RA web app (another program, or a page calling itself), and gets nothing.
    const origin = req.headers.origin;
    if (origin === undefined) {
      return refuse(
        res,
        "This agent answers only the RA web app's pages, and this call names no page.",
      );
    }
    if (!options.allowedOrigins.includes(origin)) {
      return refuse(res, `This agent does not answer pages from ${origin.slice(0, 100)}.`);
    }
    const cors: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
    if (req.method === 'OPTIONS') {
      return send(res, 204, null, {
        ...cors,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type',
        'access-control-allow-private-network': 'true',
        'access-control-max-age': '600',
      });
    }
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const answer = (result: Answer) => send(res, result[0], result[1], cors);
    const jobPath = /^\/jobs\/([^/]{1,100})$/.exec(path);
    if (req.method === 'GET' && path === '/status') {
      const { jobs } = options;
      return answer([
        200,
        {
          workstation: jobs ? jobs.workstation : null,
          server: jobs ? jobs.server : null,
          jobs: !!jobs,
        },
      ]);
    }
    if (req.method === 'GET' && path === '/cards') {
      const readers = watcher.state.filter((r) => r.atr);
      const cards = await Promise.all(readers.map((r) => summary(r.reader, r.atr ?? undefined)));
      return answer([200, { cards, readers: watcher.state.length }]);
    }
    if (req.method === 'POST' && path === '/jobs') {
      if (!options.jobs) return answer(postJob(undefined, jobContext));
      const read = await jsonBody(req);
      if ('refused' in read) {
        // The body was not read to its end: the connection is not reused for the next call,
        // whose request would be read from the middle of this one's body.
        return send(res, read.refused[0], read.refused[1], { ...cors, connection: 'close' });
      }
      return answer(postJob(read.body, jobContext));
    }
    if (req.method === 'GET' && jobPath?.[1]) return answer(getJob(jobPath[1], board));
    return answer([
      404,
      {
        error: {
          code: 'NOT_FOUND',
          message:
            'This agent answers GET /status, GET /cards, POST /jobs and GET /jobs/{id} only.',
        },
      },
    ]);
  };

  const port = () => (server.address() as AddressInfo | null)?.port ?? options.port;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() =>
      send(res, 500, { error: { code: 'INTERNAL', message: 'The agent failed to answer.' } }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
