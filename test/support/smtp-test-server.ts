import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the test mail server took it. */
export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO). */
  to: string[];
  /** The message as sent, headers and body. */
  raw: string;
}

/**
 * How the server behaves: takes mail; refuses the recipient (550 at RCPT TO); reads the
 * message and refuses it (554 after DATA); or accepts connections and never says a word.
 */
export type SmtpMode = 'accept' | 'refuse-recipient' | 'refuse-data' | 'silent';

/**
 * A real SMTP server (smtp-server) on 127.0.0.1, behind a plain TCP front that either passes
 * each connection through or, in `silent` mode, holds it open without a byte: one address
 * for the app under test, whatever the server is asked to do.
 */
export async function startSmtpTestServer() {
  let mode: SmtpMode = 'accept';
  const received: ReceivedMail[] = [];
  const refused: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const smtp = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (mode !== 'refuse-recipient') return callback();
      callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = {
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        };
        if (mode === 'refuse-data') {
          refused.push(mail);
          return callback(Object.assign(new Error('Message refused'), { responseCode: 554 }));
        }
        received.push(mail);
        callback();
      });
    },
  });
  const inner = smtp.listen(0, '127.0.0.1');
  await once(inner, 'listening');
  const innerPort = (inner.address() as AddressInfo).port;

  const front = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (mode === 'silent') return;
    const upstream = connect(innerPort, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const port = (front.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refused,
    /** Connections the front accepted, silent ones included. */
    connections: () => connections,
    setMode(next: SmtpMode) {
      mode = next;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

export type SmtpTestServer = Awaited<ReturnType<typeof startSmtpTestServer>>;

/** A header of a raw message (unfolded), or undefined. */
export function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded
    .split(/\r?\n/)
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** The text of a single-part message, quoted-printable decoded when it is so encoded. */
export function bodyOf(raw: string): string {
  const at = raw.search(/\r?\n\r?\n/);
  const body = at === -1 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  if (!/quoted-printable/i.test(headerOf(raw, 'content-transfer-encoding') ?? '')) return body;
  return body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The one 8-digit code a message carries. */
export function codeIn(raw: string): string {
  const codes = bodyOf(raw).match(/(?<!\d)\d{8}(?!\d)/g) ?? [];
  if (codes.length !== 1)
    throw new Error(`expected one 8-digit code in the message, found ${codes.length}`);
  return codes[0] as string;
}
