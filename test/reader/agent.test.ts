import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPivCard } from '../../reader/agent/read-piv-card.ts';
import { PcscWatcher } from '../../reader/pcsc/pcsc-watcher.ts';
import { blankProfile, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { waitFor } from '../support/wait-for.ts';
import { tool } from './tools.ts';

const agent = (...args: string[]) =>
  tool(process.execPath, ['--import', 'tsx', 'reader/cli.ts', ...args]);

describe('the reader agent on the real PC/SC stack', () => {
  let pcscd: Pcscd;
  let dir: string;
  let card: SimulatedCard;

  beforeAll(async () => {
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'ra-agent-'));
    const profile = join(dir, 'card.json');
    saveProfile(profile, blankProfile('5550abcd'));
    card = new SimulatedCard(profile, testReader.port);
    await card.insert();
    const piv = (...args: string[]) => tool('yubico-piv-tool', ['-r', slotName(0), ...args]);
    await waitFor(async () => (await piv('-a', 'status')).code === 0, 'the card to answer');
    // Personalise it as the RA would: a key and certificate in 9A and 9C, and one wrong PIN.
    for (const [slot, cn] of [
      ['9a', 'Nia Okafor'],
      ['9c', 'Nia Okafor (signing)'],
    ] as const) {
      expect((await piv('-a', 'generate', '-s', slot, '-A', 'ECCP256')).code).toBe(0);
      const cert = join(dir, `${slot}.pem`);
      await tool('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, `${slot}.key`),
        '-out',
        cert,
        '-subj',
        `/CN=${cn}/O=RWG`,
        '-days',
        '365',
      ]);
      expect((await piv('-a', 'import-certificate', '-s', slot, '-i', cert)).code).toBe(0);
    }
    await piv('-a', 'verify-pin', '-P', '999999');
  }, 90_000);

  afterAll(async () => {
    await card?.remove();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints with read --json the certificates and PIN tries that yubico-piv-tool -a status reports', async () => {
    const status = await tool('yubico-piv-tool', ['-r', slotName(0), '-a', 'status']);
    const fromTool = [
      ...status.out.matchAll(
        /Slot (9[a-e]):[\s\S]*?Subject DN:\s*(.+)[\s\S]*?Fingerprint:\s*([0-9a-f]+)/gi,
      ),
    ].map((m) => ({ slot: m[1]?.toLowerCase(), fingerprint: m[3]?.toLowerCase() }));
    const tries = Number(/PIN tries left:\s*(\d+)/.exec(status.out)?.[1]);
    expect(fromTool.map((c) => c.slot)).toEqual(['9a', '9c']);
    expect(tries).toBe(2);

    const read = await agent('read', '--reader', slotName(0), '--json');
    expect(read.code, read.out).toBe(0);
    const reading = JSON.parse(read.out.slice(read.out.indexOf('{')));
    expect(
      reading.certificates.map((c: { slot: string; certificate: { sha256: string } }) => ({
        slot: c.slot,
        fingerprint: c.certificate.sha256,
      })),
    ).toEqual(fromTool);
    expect(reading.pin).toEqual({ triesLeft: tries, blocked: false, verified: false });
    expect(reading.certificates[0].certificate.subject).toBe('CN=Nia Okafor, O=RWG');
    // Reading spent no PIN try.
    expect((await tool('yubico-piv-tool', ['-r', slotName(0), '-a', 'status'])).out).toMatch(
      /PIN tries left:\s*2/,
    );
  });

  it('reads one card for several callers at once, each getting the whole card', async () => {
    // The workstation agent reads a card for the server and for "Check my card" in one
    // process; the binding has one card handle per reader, so these must not overlap.
    const watcher = new PcscWatcher();
    try {
      await waitFor(() => watcher.state.some((r) => r.atr), 'the card to be seen');
      // Started a few milliseconds apart, so each begins while another is half-way through.
      const readings = await Promise.all(
        [0, 2, 5, 9, 14].map((ms) =>
          new Promise((r) => setTimeout(r, ms)).then(() =>
            watcher.withCard(slotName(0), readPivCard),
          ),
        ),
      );
      for (const reading of readings) {
        expect(reading.certificates.map((c) => ('certificate' in c ? c.slot : c.error))).toEqual([
          '9a',
          '9c',
        ]);
        expect(reading.pin.triesLeft).toBe(2);
      }
    } finally {
      watcher.close();
    }
  });

  it('says plainly when there is no card', async () => {
    const read = await agent('read', '--reader', slotName(1));
    expect(read.code).toBe(1);
    expect(read.out).toContain(`No card in "${slotName(1)}"`);
  });

  it('recovers when pcscd is killed and restarted, and reports the next card inserted', async () => {
    if (!pcscd.started)
      return expect.fail(
        'this test restarts pcscd, so it must have started it: stop the running pcscd',
      );
    const watcher = new PcscWatcher({ backoffMs: 100, maxBackoffMs: 500 });
    const inserted: string[] = [];
    let lost = 0;
    watcher.on('card-inserted', (e: { reader: string }) => inserted.push(e.reader));
    watcher.on('service-lost', () => {
      lost += 1;
    });
    try {
      await waitFor(() => inserted.includes(slotName(0)), 'the first card to be seen');
      await card.remove();
      await pcscd.kill();
      await waitFor(
        () => lost > 0 && watcher.state.length === 0,
        'the agent to notice pcscd has gone',
      );
      await pcscd.start();
      await waitFor(() => watcher.state.length === 2, 'the agent to find the readers again');
      inserted.length = 0;
      await card.insert();
      await waitFor(() => inserted.includes(slotName(0)), 'the card inserted after the restart');
      const reading = await watcher.withCard(slotName(0), readPivCard);
      expect(reading.certificates).toHaveLength(2);
    } finally {
      watcher.close();
    }
  });
});
