import { connect, type Socket } from 'node:net';
import type { PivCard } from './piv-card.ts';

/**
 * Test-only hooks on the commands that reach a card in a vpcd slot, for interruption tests
 * (`npm run card` sets none). `before` sees each command APDU first and may answer it in the
 * card's place (the bytes returned, status word included): the card never sees that command,
 * as when the host died before sending it; or `'pull'`: the card leaves the reader with the
 * command unanswered, as one pulled out mid-command. `after` sees each command and the card's
 * answer; `'pull'` takes the card out as soon as that answer is on its way, so the host gets
 * it and its next command finds no card.
 */
export interface ApduHooks {
  before?: (command: Buffer) => Buffer | 'pull' | undefined;
  after?: (command: Buffer, answer: Buffer) => 'pull' | undefined;
}

export class VpcdConnection {
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);
  private retry: NodeJS.Timeout | undefined;
  private wanted = false;
  /** APDUs answered since the card was inserted, for benchmarks and logs. */
  apduCount = 0;
  /** Test-only: see ApduHooks. */
  hooks: ApduHooks = {};

  constructor(
    private readonly card: PivCard,
    private readonly port: number,
    private readonly host = '127.0.0.1',
    private readonly log: (line: string) => void = () => {},
  ) {}

  get inserted(): boolean {
    return !!this.socket && !this.socket.connecting && !this.socket.destroyed;
  }

  /** Puts the card in the reader, retrying until vpcd listens (pcscd may start later). */
  insert(): Promise<void> {
    this.wanted = true;
    return new Promise((resolve) => {
      const attempt = (delay: number) => {
        if (!this.wanted) return resolve();
        const socket = connect({ port: this.port, host: this.host });
        socket.setNoDelay(true);
        socket.once('connect', () => {
          this.socket = socket;
          this.buffer = Buffer.alloc(0);
          this.apduCount = 0;
          this.card.reset();
          this.log(`inserted into vpcd port ${this.port}`);
          resolve();
        });
        socket.on('data', (chunk) => this.receive(socket, chunk));
        socket.once('error', () => {});
        socket.once('close', () => {
          if (this.socket === socket) {
            this.socket = undefined;
            this.log(`vpcd port ${this.port} closed`);
          }
          if (this.wanted && (this.socket === undefined || this.socket === socket)) {
            this.retry = setTimeout(() => attempt(Math.min(delay * 2, 2000)), delay);
          }
        });
      };
      attempt(100);
    });
  }

  /** Takes the card out: vpcd sees the connection close. */
  remove(): Promise<void> {
    this.wanted = false;
    if (this.retry) clearTimeout(this.retry);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private receive(socket: Socket, chunk: Buffer) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + length) return;
      const message = this.buffer.subarray(2, 2 + length);
      this.buffer = this.buffer.subarray(2 + length);
      const command = message.length > 1 ? message : undefined;
      const before = command && this.hooks.before?.(command);
      if (before === 'pull') {
        // Out of the reader mid-command: the host waits for an answer that never comes.
        this.wanted = false;
        this.buffer = Buffer.alloc(0);
        void this.remove();
        return;
      }
      const reply = before ?? this.answer(message);
      if (!reply) continue;
      const frame = Buffer.alloc(2 + reply.length);
      frame.writeUInt16BE(reply.length, 0);
      reply.copy(frame, 2);
      if (command && this.hooks.after?.(command, reply) === 'pull') {
        // Out of the reader once the answer is written: nothing after it is read.
        this.wanted = false;
        this.buffer = Buffer.alloc(0);
        socket.write(frame, () => void this.remove());
        return;
      }
      socket.write(frame);
    }
  }

  private answer(message: Buffer): Buffer | undefined {
    if (message.length === 1) {
      switch (message[0]) {
        case 0x00:
        case 0x01:
        case 0x02:
          this.card.reset();
          return undefined;
        case 0x04:
          return this.card.atr;
        default:
          return undefined;
      }
    }
    this.apduCount += 1;
    return this.card.transmit(message);
  }
}
