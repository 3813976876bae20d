import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';

/**
 * What the RA server answered to a POST, read in full: its status and its body as text.
 * Its answers are small JSON; `ok` as fetch's, 200 to 299.
 */
export interface ServerAnswer {
  status: number;
  statusText: string;
  ok: boolean;
  text: string;
}

/** A larger answer is refused: no server, or anything posing as one, fills the agent's memory. */
export const maxAnswerBytes = 1024 * 1024;

/**
 * POSTs a JSON body with node:http or node:https and reads the whole answer within
 * `timeoutMs` (connecting, sending and reading alike). Not the global fetch: its client
 * (undici, with its parser compiled from WebAssembly) costs a process ~20 MB of memory the
 * first time it is used, a quarter of what the watching agent may take; node:http costs ~4.
 * Connections are kept alive between calls, as fetch keeps them (the default agents of
 * Node 20 and later do). A failure rejects with the network's own error (ECONNREFUSED, a
 * certificate that does not verify, or the timeout's "aborted due to timeout").
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<ServerAnswer> {
  const target = new URL(url);
  // node:https (TLS) is loaded only for an https server: a demo on this machine needs none.
  // Not with import(): that goes through the ES module loader, which builds node:http's and
  // node:https's whole namespaces (loading undici among others, ~7 MB) for one function.
  const request =
    target.protocol === 'https:' ? process.getBuiltinModule('node:https').request : httpRequest;
  const signal = AbortSignal.timeout(timeoutMs);
  const payload = Buffer.from(body);
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-length': String(payload.length) },
    signal,
  };
  return new Promise<ServerAnswer>((resolve, reject) => {
    const req = request(target, options, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (part: Buffer) => {
        size += part.length;
        if (size > maxAnswerBytes) {
          req.destroy(new Error(`the answer is larger than ${maxAnswerBytes / 1024} KiB`));
          return;
        }
        parts.push(part);
      });
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error('the connection closed before the answer was whole'));
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({
          status,
          statusText: res.statusMessage ?? '',
          ok: status >= 200 && status <= 299,
          text: Buffer.concat(parts).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
