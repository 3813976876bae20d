import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Observation, QueuedObservation } from './observation.ts';

/** What became of one attempt to deliver an observation. */
export type Delivery =
  /** The server has it (now or from an earlier attempt): take it off the queue. */
  | { outcome: 'delivered' }
  /** The server will never take it as it is (a 400): set it aside, so the rest can go. */
  | { outcome: 'rejected'; reason: string }
  /** Not now (server down, 5xx, 429, credential refused): keep it first in line, try later. */
  | { outcome: 'retry'; reason: string };

export interface OutboxOptions {
  dir: string;
  send: (observation: QueuedObservation) => Promise<Delivery>;
  /** First wait after a failed attempt; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const fileName = (sequence: number) => `${String(sequence).padStart(12, '0')}.json`;
const queued = /^(\d{12})\.json$/;

/** Writes a file so that a crash leaves either the old content or the new, never half. */
function writeDurably(path: string, content: string) {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/**
 * The agent's on-disk queue of observations: one file per observation, named by its
 * sequence number, delivered oldest first, one at a time, and removed only once the server
 * has answered that it has it. Each carries an idempotency key, so an observation sent
 * again after a crash or a lost answer is not stored twice. The queue survives restarts;
 * while the server cannot be reached, attempts back off to one every `maxBackoffMs`.
 */
export class Outbox {
  private readonly dir: string;
  private readonly rejectedDir: string;
  private lastSequence: number;
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private idle: (() => void)[] = [];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: (line: string) => void;

  private readonly options: OutboxOptions;

  constructor(options: OutboxOptions) {
    this.options = options;
    this.dir = options.dir;
    this.rejectedDir = join(this.dir, 'rejected');
    mkdirSync(this.rejectedDir, { recursive: true, mode: 0o700 });
    this.log = options.log ?? (() => {});
    // The default timer does not keep the process alive on its own: stop() ends the wait.
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
    // Numbers only ever go up, even across restarts and after the queue empties.
    let last = 0;
    try {
      last = Number.parseInt(readFileSync(join(this.dir, 'sequence'), 'utf8'), 10) || 0;
    } catch {}
    for (const name of [...this.files(), ...readdirSync(this.rejectedDir)]) {
      const m = queued.exec(name);
      if (m) last = Math.max(last, Number(m[1]));
    }
    this.lastSequence = last;
  }

  private files(): string[] {
    return readdirSync(this.dir)
      .filter((n) => queued.test(n))
      .sort();
  }

  /** Observations waiting to be delivered. */
  get pending(): number {
    return this.files().length;
  }

  /** Numbers and keys the observation, and writes it to disk before returning. */
  enqueue(observation: Observation): QueuedObservation {
    const item: QueuedObservation = {
      idempotencyKey: randomUUID(),
      sequence: ++this.lastSequence,
      ...observation,
    };
    writeDurably(join(this.dir, 'sequence'), String(item.sequence));
    writeDurably(join(this.dir, fileName(item.sequence)), JSON.stringify(item));
    this.wake?.();
    return item;
  }

  /** Starts delivering, and keeps at it until stop(). */
  start() {
    if (this.running) return;
    this.running = true;
    this.loop = this.deliverAll();
  }

  async stop() {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Resolves when the queue is empty (at once if it is). */
  drained(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async deliverAll() {
    const min = this.options.minBackoffMs ?? 1000;
    const max = this.options.maxBackoffMs ?? 60_000;
    let backoff = min;
    let failing = false;
    while (this.running) {
      const next = this.files()[0];
      if (!next) {
        for (const resolve of this.idle.splice(0)) resolve();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const path = join(this.dir, next);
      let item: QueuedObservation;
      try {
        item = JSON.parse(readFileSync(path, 'utf8')) as QueuedObservation;
      } catch (err) {
        // Only a disk fault could do this (files are renamed into place whole): keep the file.
        this.log(`queue file ${next} cannot be read (${String(err)}); set aside`);
        renameSync(path, join(this.rejectedDir, next));
        continue;
      }
      let result: Delivery;
      try {
        result = await this.options.send(item);
      } catch (err) {
        result = { outcome: 'retry', reason: err instanceof Error ? err.message : String(err) };
      }
      if (result.outcome === 'delivered') {
        rmSync(path, { force: true });
        if (failing) this.log(`server reached again; ${this.pending} observations still queued`);
        failing = false;
        backoff = min;
      } else if (result.outcome === 'rejected') {
        renameSync(path, join(this.rejectedDir, next));
        this.log(
          `observation #${item.sequence} refused by the server, set aside: ${result.reason}`,
        );
      } else {
        if (!failing)
          this.log(`cannot deliver yet (${result.reason}); keeping ${this.pending} in the queue`);
        failing = true;
        await Promise.race([
          this.sleep(backoff),
          new Promise<void>((resolve) => {
            // Stopping ends the wait; a new observation does not (the first in line goes first).
            this.wake = () => {
              if (!this.running) resolve();
            };
          }),
        ]);
        this.wake = undefined;
        backoff = Math.min(backoff * 2, max);
      }
    }
  }
}
