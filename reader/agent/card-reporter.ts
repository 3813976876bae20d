import type { CardPresence, PcscWatcher } from '../pcsc/pcsc-watcher.ts';
import { insertedObservation, removedObservation, unreadableObservation } from './observation.ts';
import type { Outbox } from './outbox.ts';
import { readPivCard } from './read-piv-card.ts';

export interface CardReporterOptions {
  now?: () => Date;
  log?: (line: string) => void;
  /** How long to wait, after a failed read, for PC/SC to say whether the card went. */
  settleMs?: number;
}

/** The pause before a failed read is tried again. */
const retryPauseMs = 300;

/** PC/SC's "the card is not there any more" codes, as the binding words its errors. */
const goneCodes = /0x8010006[9]|0x8010000[Cc]|0x80100017|0x80100009|removed|no smart ?card/i;

/**
 * Turns what the readers see into queued observations: a card read in full when it goes
 * in, its removal when it comes out. Events of one reader are handled in order. A card
 * pulled out mid-read is not reported at all (nor is its removal): a half-read card would
 * tell the server things that are not so.
 */
export class CardReporter {
  private chains = new Map<string, Promise<void>>();
  /** Readers holding a card we reported, and that card's serial. */
  private reported = new Map<string, string | null>();
  private readonly now: () => Date;
  private readonly log: (line: string) => void;

  private readonly watcher: PcscWatcher;
  private readonly outbox: Outbox;

  constructor(watcher: PcscWatcher, outbox: Outbox, options: CardReporterOptions = {}) {
    this.watcher = watcher;
    this.outbox = outbox;
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => {});
    const settleMs = options.settleMs ?? 2000;
    watcher.on('card-inserted', (presence: CardPresence) =>
      this.inOrder(presence.reader, () => this.inserted(presence, settleMs)),
    );
    watcher.on('card-removed', ({ reader }: { reader: string }) =>
      this.inOrder(reader, () => this.removed(reader)),
    );
  }

  /** Resolves once every event seen so far has been handled. */
  async settled(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  private inOrder(reader: string, step: () => Promise<void>) {
    const next = (this.chains.get(reader) ?? Promise.resolve()).then(step).catch((err) => {
      this.log(`${reader}: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.chains.set(reader, next);
  }

  private stillThere(reader: string, atr: Buffer) {
    return !!this.watcher.state.find((r) => r.reader === reader && r.atr?.equals(atr));
  }

  /**
   * Reads the card; a read that fails while the card stays in is tried once more after a
   * pause: a card just put in, or a reader busy on a loaded machine, may fail a first
   * exchange and answer the next. Only a second failure makes the card "unreadable".
   */
  private async read(reader: string, atr: Buffer) {
    const attempt = () => this.watcher.withCard(reader, (transmit) => readPivCard(transmit, atr));
    try {
      return await attempt();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (goneCodes.test(message)) throw err;
      await new Promise((r) => setTimeout(r, retryPauseMs));
      if (!this.stillThere(reader, atr)) throw err;
      this.log(`${reader}: reading the card failed (${message}); reading it again`);
      return attempt();
    }
  }

  private async inserted({ reader, atr }: CardPresence, settleMs: number) {
    const at = this.now();
    // A card already gone by the time its turn comes is not read.
    if (!this.stillThere(reader, atr)) return;
    try {
      const reading = await this.read(reader, atr);
      const observation = insertedObservation(reader, atr, reading, at);
      const item = this.outbox.enqueue(observation);
      this.reported.set(reader, observation.cardSerial);
      this.log(
        `${reader}: ${observation.kind === 'card_inserted' ? `card ${observation.cardSerial}` : `unreadable card (${observation.error})`} queued as #${item.sequence}`,
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // pcscd notices a removal on its next poll of the reader: give it that long to say so
      // before calling the card unreadable.
      const deadline = Date.now() + settleMs;
      while (!goneCodes.test(message) && this.stillThere(reader, atr) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      if (goneCodes.test(message) || !this.stillThere(reader, atr)) {
        this.log(`${reader}: the card was taken out while being read; nothing reported`);
        return;
      }
      const item = this.outbox.enqueue(unreadableObservation(reader, atr, message, at));
      this.reported.set(reader, null);
      this.log(`${reader}: unreadable card (${message}) queued as #${item.sequence}`);
    }
  }

  private async removed(reader: string) {
    if (!this.reported.has(reader)) return;
    const serial = this.reported.get(reader) ?? null;
    this.reported.delete(reader);
    const item = this.outbox.enqueue(removedObservation(reader, serial, this.now()));
    this.log(`${reader}: card ${serial ?? '(unidentified)'} removed, queued as #${item.sequence}`);
  }
}
