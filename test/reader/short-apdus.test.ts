import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PivReading, readPivCard } from '../../reader/agent/read-piv-card.ts';
import { PcscWatcher } from '../../reader/pcsc/pcsc-watcher.ts';
import { tlv } from '../../reader/piv/tlv.ts';
import {
  blankProfile,
  extendedRefusals,
  saveProfile,
  simulatorAtrs,
} from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { waitFor } from '../support/wait-for.ts';
import { tool } from './tools.ts';

/** Whether pcscd sees a card in the first slot of the test reader (opensc-tool -l). */
async function cardPresent(): Promise<boolean> {
  const { out } = await tool('opensc-tool', ['-l']);
  return /\sYes\s/.test(out.split('\n').find((l) => l.includes(slotName(0))) ?? '');
}

const agent = (...args: string[]) =>
  tool(process.execPath, ['--import', 'tsx', 'reader/cli.ts', ...args]);

/**
 * A card that takes short APDUs only, through the real stack: pcscd, vpcd, libpcsclite and
 * the Node binding, the card answering from the simulator. The agent must read it in full.
 */
describe('a card that takes short APDUs only, on the real PC/SC stack', () => {
  let pcscd: Pcscd;
  let dir: string;
  let profilePath: string;
  const fingerprints: string[] = [];
  const objectSizes: number[] = [];
  let cli: ChildProcess | undefined;
  let card: SimulatedCard | undefined;

  // SELECT, CHUID, each certificate object in 256-byte pieces (GET DATA, GET RESPONSEs),
  // 9D and 9E (none), VERIFY: what a short-only reading must cost, no more.
  const shortCost = () => 1 + 1 + objectSizes.reduce((n, size) => n + Math.ceil(size / 256), 0) + 3;

  beforeAll(async () => {
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'ra-short-'));
    // Two RSA-2048 certificates, each over 256 bytes several times: GET RESPONSE is needed.
    const profile = blankProfile('5a0e7001');
    for (const [slot, tag, cn] of [
      ['9a', '5fc105', 'Nia Okafor'],
      ['9c', '5fc10a', 'Nia Okafor (signing)'],
    ] as const) {
      const der = join(dir, `${slot}.der`);
      const made = await tool('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, `${slot}.key`),
        '-outform',
        'DER',
        '-out',
        der,
        '-subj',
        `/CN=${cn}/O=RWG`,
        '-days',
        '365',
      ]);
      expect(made.code, made.out).toBe(0);
      const cert = readFileSync(der);
      fingerprints.push(createHash('sha256').update(cert).digest('hex'));
      const object = Buffer.concat([
        tlv(0x70, cert),
        tlv(0x71, Buffer.from([0])),
        tlv(0xfe, Buffer.alloc(0)),
      ]);
      objectSizes.push(tlv(0x53, object).length);
      profile.objects[tag] = object.toString('base64');
    }
    profile.pinTries = 2; // one wrong PIN already
    profilePath = join(dir, 'card.json');
    saveProfile(profilePath, profile);
  }, 60_000);

  afterEach(async () => {
    if (cli && cli.exitCode === null) {
      const exited = new Promise((r) => cli?.once('exit', r));
      cli.kill('SIGTERM');
      await exited;
    }
    cli = undefined;
    await card?.remove();
    card = undefined;
    await waitFor(async () => !(await cardPresent()), 'the card to be out');
  });

  afterAll(async () => {
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function expectInFull(reading: PivReading) {
    expect(reading.chuid?.guid).toMatch(/^5a0e7001[0-9a-f]{24}$/);
    expect(reading.chuid?.expiry).toBe('20351231');
    expect(reading.chuidError).toBeNull();
    expect(
      reading.certificates.map((c) => ('certificate' in c ? c.certificate.sha256 : c.error)),
    ).toEqual(fingerprints);
    expect(reading.certificates.map((c) => c.slot)).toEqual(['9a', '9c']);
    expect(reading.pin).toEqual({ triesLeft: 2, blocked: false, verified: false });
    expect(reading.shortApdus).toBe(true);
  }

  /** Starts `npm run card -- <profile> …` on the test reader's first slot. */
  async function cardFromCli(...options: string[]) {
    let output = '';
    cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'reader/simulator/cli.ts',
        profilePath,
        '--port',
        String(testReader.port),
        ...options,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    cli.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    cli.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitFor(cardPresent, 'the simulated card to go in');
    return () => output;
  }

  it('reads both certificates, the CHUID and the PIN state with `read` when the card refuses extended APDUs (npm run card -- … --extended-apdus 6a80)', async () => {
    const output = await cardFromCli('--extended-apdus', '6a80');
    expect(output()).toContain('refuses extended-length APDUs with status 6A80');
    const read = await agent('read', '--reader', slotName(0), '--json');
    expect(read.code, read.out).toBe(0);
    const reading = JSON.parse(read.out.slice(read.out.indexOf('{'))) as PivReading & {
      atr: string;
    };
    expectInFull(reading);
    // The ATR says nothing of extended length: one extended GET DATA, refused, then short.
    expect(reading.atr).toBe(simulatorAtrs.plain);
    console.log(
      `short-only card (6A80, plain ATR): read in ${reading.apdus} APDUs; objects of ${objectSizes.join(' and ')} bytes`,
    );
    expect(reading.apdus).toBe(shortCost() + 1);
    // The human form says so too.
    const human = await agent('read', '--reader', slotName(0));
    expect(human.out).toContain('Slot 9c: CN=Nia Okafor (signing), O=RWG');
    expect(human.out).toContain('PIN: 2 tries left');
    expect(human.out).toMatch(/Read in \d+ APDUs \(short APDUs/);
  }, 60_000);

  it('asks short from the first APDU when the ATR says the card takes no extended length (--atr short)', async () => {
    await cardFromCli('--extended-apdus', '6700', '--atr', 'short');
    const read = await agent('read', '--reader', slotName(0), '--json');
    expect(read.code, read.out).toBe(0);
    const reading = JSON.parse(read.out.slice(read.out.indexOf('{'))) as PivReading & {
      atr: string;
    };
    expect(reading.atr).toBe(simulatorAtrs.short);
    expectInFull(reading);
    console.log(`short-only card (ATR says so): read in ${reading.apdus} APDUs`);
    expect(reading.apdus).toBe(shortCost());
  }, 60_000);

  it('reads it in full whatever status refuses the extended form, and counts the same APDUs as the card', async () => {
    const watcher = new PcscWatcher();
    try {
      for (const status of extendedRefusals) {
        const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
        saveProfile(profilePath, { ...profile, extendedApdus: status, atr: simulatorAtrs.plain });
        card = new SimulatedCard(profilePath, testReader.port);
        await card.insert();
        await waitFor(
          () => watcher.state.some((r) => r.reader === slotName(0) && r.atr),
          'the card to be seen',
        );
        const atr = watcher.state.find((r) => r.reader === slotName(0))?.atr ?? undefined;
        const reading = await watcher.withCard(slotName(0), (t) => readPivCard(t, atr));
        expectInFull(reading);
        // What the agent counts is what the card answered.
        expect(reading.apdus).toBe(card.connection.apduCount);
        expect(reading.apdus).toBe(shortCost() + 1);
        console.log(`short-only card (${status.toUpperCase()}): ${reading.apdus} APDUs`);
        await card.remove();
        card = undefined;
        await waitFor(
          () => !watcher.state.some((r) => r.reader === slotName(0) && r.atr),
          'the card to be gone',
        );
      }
      // The same card taking extended APDUs, for comparison: one GET DATA per object.
      const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
      saveProfile(profilePath, { ...profile, extendedApdus: 'accept' });
      card = new SimulatedCard(profilePath, testReader.port);
      await card.insert();
      await waitFor(() => watcher.state.some((r) => r.atr), 'the card to be seen');
      const reading = await watcher.withCard(slotName(0), (t) => readPivCard(t));
      expect(reading.shortApdus).toBe(false);
      expect(reading.apdus).toBe(7);
      console.log(`the same card taking extended APDUs: ${reading.apdus} APDUs`);
    } finally {
      watcher.close();
    }
  }, 90_000);
});
