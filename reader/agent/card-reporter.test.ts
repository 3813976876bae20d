import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PcscWatcher } from '../pcsc/pcsc-watcher.ts';
import { blankProfile } from '../simulator/card-profile.ts';
import { PivCard } from '../simulator/piv-card.ts';
import { CardReporter } from './card-reporter.ts';
import { Outbox } from './outbox.ts';
import type { Transmit } from './read-piv-card.ts';

/**
 * The reporter's handling of a failed read, with a stand-in for the PC/SC watcher: a real
 * pcscd cannot be made to fail one exchange on demand (on a loaded machine it sometimes does,
 * which is why the reporter reads again). The card behind it is the in-process simulator.
 * test/reader/watch.test.ts covers the reporter through pcscd and the virtual reader.
 */
class StandInWatcher extends EventEmitter {
  readonly atr = Buffer.from('3b8c80018073c021c057597562694b657940', 'hex');
  present = true;
  reads = 0;
  constructor(
    private readonly card: PivCard,
    private readonly failures: (attempt: number) => Error | undefined,
  ) {
    super();
  }
  get state() {
    return [{ reader: 'Reader 0', atr: this.present ? this.atr : null }];
  }
  async withCard<T>(_reader: string, fn: (transmit: Transmit) => Promise<T>): Promise<T> {
    const failure = this.failures(++this.reads);
    return fn(async (apdu) => {
      if (failure) throw failure;
      return this.card.transmit(apdu);
    });
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function report(failures: (attempt: number) => Error | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'reporter-'));
  dirs.push(dir);
  const outbox = new Outbox({ dir, send: async () => ({ outcome: 'accepted' }) as never });
  const lines: string[] = [];
  const watcher = new StandInWatcher(new PivCard(blankProfile()), failures);
  const reporter = new CardReporter(watcher as unknown as PcscWatcher, outbox, {
    log: (l) => lines.push(l),
    settleMs: 100,
  });
  watcher.emit('card-inserted', { reader: 'Reader 0', atr: watcher.atr });
  await reporter.settled();
  return { watcher, lines, pending: outbox.pending };
}

describe('the card reporter', () => {
  it('reads a card again when the first read fails while it stays in, and reports it read', async () => {
    const { watcher, lines, pending } = await report((n) =>
      n === 1 ? new Error('SCardTransmit error: Transaction failed.(0x80100016)') : undefined,
    );
    expect(watcher.reads).toBe(2);
    expect(lines[0]).toMatch(/reading the card failed \(SCardTransmit error.*\); reading it again/);
    expect(lines[1]).toMatch(/^Reader 0: card [0-9a-f]{32} queued as #1$/);
    expect(pending).toBe(1);
  });

  it('calls the card unreadable only when the second read fails too', async () => {
    const { watcher, lines } = await report(() => new Error('SCardTransmit error (0x80100016)'));
    expect(watcher.reads).toBe(2);
    expect(lines.at(-1)).toMatch(/unreadable card \(SCardTransmit error \(0x80100016\)\) queued/);
  });

  it('does not read again a card taken out', async () => {
    const { watcher, lines, pending } = await report(
      () => new Error('SCardTransmit error: Card was removed.(0x80100069)'),
    );
    expect(watcher.reads).toBe(1);
    expect(pending).toBe(0);
    expect(lines.at(-1)).toMatch(/taken out while being read; nothing reported/);
  });
});
