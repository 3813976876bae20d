import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Transmit } from '../agent/read-piv-card.ts';

/** The binding's shapes that we use; the rest of the agent sees only PcscWatcher. */
interface BindingReader extends EventEmitter {
  name: string;
  SCARD_SHARE_SHARED: number;
  SCARD_LEAVE_CARD: number;
  SCARD_STATE_PRESENT: number;
  connect(options: { share_mode: number }, cb: (err: unknown, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: unknown) => void): void;
  transmit(
    data: Buffer,
    resLen: number,
    protocol: number,
    cb: (err: unknown, res: Buffer) => void,
  ): void;
  close(): void;
}
interface BindingContext extends EventEmitter {
  close(): void;
}

export class PcscUnavailableError extends Error {
  override name = 'PcscUnavailableError';
}

/** Loads the optional `pcsclite` binding, or says plainly what to install. */
function loadBinding(): () => BindingContext {
  try {
    return createRequire(import.meta.url)('pcsclite') as () => BindingContext;
  } catch {
    throw new PcscUnavailableError(
      'The PC/SC binding is not installed. Install pcscd and its headers (sudo apt-get install pcscd libpcsclite-dev), then run npm ci again.',
    );
  }
}

/** vpcd's stock readers ("Virtual PCD 00 00", …): present on test machines, never a real card. */
export const isVirtualReader = (name: string) => /^Virtual PCD( |$)/.test(name);

/** How long a failed command waits for the reader's status to say whether the card left. */
const pulledOutWaitMs = 1500;

export interface PcscWatcherOptions {
  /** Use vpcd's "Virtual PCD" readers too. Off in production: only test machines have them. */
  includeVirtual?: boolean;
  /** First wait before recreating a lost context; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface CardPresence {
  reader: string;
  atr: Buffer;
}

/**
 * Watches PC/SC readers and cards. Emits `reader-added`, `reader-removed`, `card-inserted`
 * (once per insertion, however many status events the binding fires) and `card-removed`.
 * When pcscd goes away it drops the context and makes a new one with backoff, because no
 * Node binding recovers by itself.
 */
export class PcscWatcher extends EventEmitter {
  private context: BindingContext | undefined;
  private readers = new Map<string, { reader: BindingReader; atr: Buffer | null }>();
  /** The last use of each reader's card, queued behind the ones before it. */
  private inUse = new Map<string, Promise<void>>();
  /** How many times a card was taken out of each reader, to tell a pulled card by. */
  private removals = new Map<string, number>();
  private closed = false;
  private backoff: number;
  private retry: NodeJS.Timeout | undefined;
  private readonly create: () => BindingContext;

  private readonly options: PcscWatcherOptions;

  constructor(options: PcscWatcherOptions = {}) {
    super();
    this.options = options;
    this.create = loadBinding();
    this.backoff = options.backoffMs ?? 250;
    this.open();
  }

  /** Readers known now, and the ATR of the card in each (null: empty). */
  get state(): { reader: string; atr: Buffer | null }[] {
    return [...this.readers.entries()].map(([reader, r]) => ({ reader, atr: r.atr }));
  }

  private open() {
    if (this.closed) return;
    let context: BindingContext;
    try {
      context = this.create();
    } catch (err) {
      // No daemon (SCARD_E_NO_SERVICE): wait and try again, however long it takes.
      this.emit('service-unavailable', err);
      this.scheduleOpen();
      return;
    }
    this.context = context;
    context.on('error', (err: unknown) => this.lost(context, err));
    context.on('reader', (reader: BindingReader) => this.adopt(context, reader));
  }

  private adopt(context: BindingContext, reader: BindingReader) {
    if (context !== this.context) return reader.close();
    if (!this.options.includeVirtual && isVirtualReader(reader.name)) return reader.close();
    this.readers.set(reader.name, { reader, atr: null });
    this.backoff = this.options.backoffMs ?? 250;
    this.emit('reader-added', reader.name);
    reader.on('status', (status: { state: number; atr?: Buffer }) => {
      const entry = this.readers.get(reader.name);
      if (!entry || entry.reader !== reader) return;
      const present = (status.state & reader.SCARD_STATE_PRESENT) !== 0 && !!status.atr?.length;
      if (present && status.atr && !entry.atr?.equals(status.atr)) {
        entry.atr = Buffer.from(status.atr);
        this.emit('card-inserted', { reader: reader.name, atr: entry.atr } satisfies CardPresence);
      } else if (!present && entry.atr) {
        entry.atr = null;
        this.removals.set(reader.name, (this.removals.get(reader.name) ?? 0) + 1);
        this.emit('card-removed', { reader: reader.name });
      }
    });
    reader.on('error', (err: unknown) =>
      this.emit('reader-error', { reader: reader.name, error: err }),
    );
    reader.once('end', () => this.forget(reader));
  }

  /**
   * Drops a reader that has ended. It is not closed: its status thread has already exited,
   * and the binding's close() joins that thread, which can block the whole process when
   * pcscd has died (seen here; the binding itself never closes an ended reader either).
   */
  private forget(reader: BindingReader) {
    const entry = this.readers.get(reader.name);
    if (!entry || entry.reader !== reader) return;
    if (entry.atr) this.emit('card-removed', { reader: reader.name });
    this.readers.delete(reader.name);
    this.emit('reader-removed', reader.name);
  }

  private lost(context: BindingContext, err: unknown) {
    if (context !== this.context || this.closed) return;
    this.emit('service-lost', err);
    for (const { reader } of [...this.readers.values()]) this.forget(reader);
    // The dead context is dropped, not closed, for the same reason as an ended reader.
    this.context = undefined;
    void context;
    this.scheduleOpen();
  }

  private scheduleOpen() {
    if (this.closed) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 5000);
    this.retry = setTimeout(() => this.open(), wait);
  }

  /**
   * Connects to the card in `readerName` (shared), runs `fn` with a transmit function, and
   * disconnects leaving the card as it was. A card pulled out mid-way makes `fn` fail.
   * Uses of one reader run one after another: the binding keeps one card handle per reader,
   * so two at once (the reporter and the local API, say) would disconnect each other.
   */
  withCard<T>(readerName: string, fn: (transmit: Transmit) => Promise<T>): Promise<T> {
    const before = this.inUse.get(readerName) ?? Promise.resolve();
    const run = before.then(() => this.connected(readerName, fn));
    const done = run.then(
      () => {},
      () => {},
    );
    this.inUse.set(readerName, done);
    void done.then(() => {
      if (this.inUse.get(readerName) === done) this.inUse.delete(readerName);
    });
    return run;
  }

  private async connected<T>(readerName: string, fn: (transmit: Transmit) => Promise<T>) {
    const entry = this.readers.get(readerName);
    if (!entry) throw new Error(`no reader called "${readerName}"`);
    const { reader } = entry;
    const removals = this.removals.get(readerName) ?? 0;
    const protocol = await new Promise<number>((resolve, reject) =>
      reader.connect({ share_mode: reader.SCARD_SHARE_SHARED }, (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const transmit: Transmit = async (apdu) => {
      const answer = await new Promise<Buffer>((resolve, reject) =>
        reader.transmit(apdu, 65538, protocol, (err, res) => (err ? reject(err) : resolve(res))),
      ).catch(async (err: unknown) => {
        throw (await this.pulledOut(readerName, removals, err)) ?? err;
      });
      // No status word at all: vpcd, for one, answers nothing when the card goes mid-command.
      if (answer.length < 2) {
        const pulled = await this.pulledOut(readerName, removals, 'no answer');
        if (pulled) throw pulled;
      }
      return answer;
    };
    try {
      return await fn(transmit);
    } finally {
      await new Promise<void>((resolve) =>
        reader.disconnect(reader.SCARD_LEAVE_CARD, () => resolve()),
      );
    }
  }

  /**
   * A command that failed because the card was taken out does not always say so: pcscd
   * answers "Transaction failed" (0x80100016) as often as "Card was removed" when the card
   * goes mid-command, and a reader may answer nothing at all. Waits a moment for the reader's
   * status to tell, and gives an error saying "removed" when the card left the reader since
   * it was connected; undefined when it did not.
   */
  private async pulledOut(
    readerName: string,
    removals: number,
    err: unknown,
  ): Promise<Error | undefined> {
    const message = err instanceof Error ? err.message : String(err);
    if (/removed/i.test(message)) return err instanceof Error ? err : new Error(message);
    // A reader unplugged is not a card pulled: only a reader still there with no card is.
    const gone = () => {
      const entry = this.readers.get(readerName);
      return !!entry && ((this.removals.get(readerName) ?? 0) !== removals || !entry.atr);
    };
    // pcscd polls a reader's presence every 400 ms or so; the status follows within that.
    for (let waited = 0; !gone() && waited < pulledOutWaitMs; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    return gone() ? new Error(`Card was removed from ${readerName} (${message})`) : undefined;
  }

  /** Closes every reader and the context, so the process can exit. */
  close() {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    for (const { reader } of this.readers.values()) reader.close();
    this.readers.clear();
    this.context?.close();
    this.context = undefined;
  }
}
