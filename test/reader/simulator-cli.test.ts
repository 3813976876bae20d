import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile, simulatorAtrs } from '../../reader/simulator/card-profile.ts';
import { type Pcscd, slotName, startPcscd, testReader, waitFor } from '../support/pcsc/pcscd.ts';
import { tool } from './tools.ts';

/** Whether pcscd sees a card in the first slot of the test reader (opensc-tool -l). */
async function cardPresent(): Promise<boolean> {
  const { out } = await tool('opensc-tool', ['-l']);
  const line = out.split('\n').find((l) => l.includes(slotName(0)));
  return /\sYes\s/.test(line ?? '');
}

/** `npm run card -- …` as a person at a terminal uses it: make a card, put it in, pull it out. */
describe('the card simulator from the command line', () => {
  let pcscd: Pcscd;
  let dir: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'ra-card-cli-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a card, puts it in, and takes remove and insert as typed, and SIGUSR1', async () => {
    const profile = join(dir, 'nia.json');
    const cli = (...args: string[]) =>
      tool(process.execPath, ['--import', 'tsx', 'reader/simulator/cli.ts', ...args]);
    const made = await cli('new', profile, '--serial', '00c0ffee');
    expect(made.code, made.out).toBe(0);
    expect(made.out).toContain('PIN 123456');
    // It will not overwrite a card.
    const again = await cli('new', profile);
    expect(again.code).toBe(1);
    expect(again.out).toContain('will not overwrite');

    // A card that takes short APDUs only, and says so in its ATR; a status it cannot use is refused.
    const shortOnly = join(dir, 'short.json');
    const made2 = await cli('new', shortOnly, '--extended-apdus', '6A87', '--atr', 'short');
    expect(made2.code, made2.out).toBe(0);
    expect(loadProfile(shortOnly)).toMatchObject({
      extendedApdus: '6a87',
      atr: simulatorAtrs.short,
    });
    const odd = await cli('new', join(dir, 'odd.json'), '--extended-apdus', '9000');
    expect(odd.code).toBe(1);
    expect(odd.out).toContain(
      '--extended-apdus takes accept or a status word (6700, 6a80, 6a87, 6d00, 6e00), not "9000"',
    );
    const badAtr = await cli('new', join(dir, 'odd.json'), '--atr', 'long');
    expect(badAtr.code).toBe(1);
    expect(badAtr.out).toContain('--atr takes plain, extended, short or an ATR in hex');

    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'reader/simulator/cli.ts', profile, '--port', String(testReader.port)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitFor(cardPresent, 'the card to go in');
    const status = await tool('yubico-piv-tool', ['-r', slotName(0), '-a', 'status']);
    expect(status.out).toMatch(/Serial Number:\s+12648430/); // 0x00c0ffee

    child.stdin?.write('remove\n');
    await waitFor(async () => !(await cardPresent()), 'the card to come out after "remove"');
    expect(output).toContain('removed');
    child.stdin?.write('remove\n');
    await waitFor(async () => output.includes('The card is out already.'), 'the answer');
    child.stdin?.write('insert\n');
    await waitFor(cardPresent, 'the card to go back in after "insert"');

    child.kill('SIGUSR1');
    await waitFor(async () => !(await cardPresent()), 'SIGUSR1 to take the card out');
    child.kill('SIGUSR1');
    await waitFor(cardPresent, 'SIGUSR1 to put it back');

    const exited = new Promise<number | null>((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
