/**
 * npm run bench:reader — reads one simulated card (certificates in 9A and 9C, PIN state) with
 * the agent, with OpenSC's pkcs15-tool and with yubico-piv-tool, alternating, and prints APDU
 * counts and median times. APDUs are counted by the card itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readPivCard } from '../../reader/agent/read-piv-card.ts';
import { PcscWatcher } from '../../reader/pcsc/pcsc-watcher.ts';
import { tlv } from '../../reader/piv/tlv.ts';
import { blankProfile, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';

const run = promisify(execFile);
const rounds = Number(process.env.ROUNDS ?? 15);

async function main() {
  const pcscd = await startPcscd();
  const dir = mkdtempSync(join(tmpdir(), 'ra-bench-'));
  try {
    const profile = blankProfile('00be0c11');
    for (const [slot, tag] of [
      ['9a', '5fc105'],
      ['9c', '5fc10a'],
    ] as const) {
      const der = join(dir, `${slot}.der`);
      await run('openssl', [
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
        `/CN=Bench ${slot}/O=RWG`,
        '-days',
        '730',
      ]);
      const cert = readFileSync(der);
      profile.objects[tag] = Buffer.concat([
        tlv(0x70, cert),
        tlv(0x71, Buffer.from([0])),
        tlv(0xfe, Buffer.alloc(0)),
      ]).toString('base64');
    }
    const path = join(dir, 'card.json');
    saveProfile(path, profile);
    const card = new SimulatedCard(path, testReader.port);
    await card.insert();
    // The same card taking short APDUs only (refusing extended ones with 6700), in slot 1.
    const shortPath = join(dir, 'short.json');
    saveProfile(shortPath, { ...profile, extendedApdus: '6700' });
    const shortCard = new SimulatedCard(shortPath, testReader.port + 1);
    await shortCard.insert();
    const watcher = new PcscWatcher();
    for (let i = 0; i < 100 && watcher.state.filter((r) => r.atr).length < 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    // As the agent reads: with the ATR pcscd reports.
    const read = (slot: number) => () => {
      const atr = watcher.state.find((r) => r.reader === slotName(slot))?.atr ?? undefined;
      return watcher.withCard(slotName(slot), (transmit) => readPivCard(transmit, atr));
    };

    const measure = async (fn: () => Promise<unknown>, on: SimulatedCard) => {
      const before = on.connection.apduCount;
      const started = process.hrtime.bigint();
      await fn();
      return {
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        apdus: on.connection.apduCount - before,
      };
    };
    const cardOf = (name: string) => (name.includes('short APDUs only') ? shortCard : card);
    const tools: Record<string, () => Promise<unknown>> = {
      'agent (in-process: connect → parsed certificates + PIN state)': read(0),
      'agent, the card taking short APDUs only (refuses extended: 6700)': read(1),
      'agent CLI (npm run agent -- read --json, a process)': () =>
        run(process.execPath, [
          '--import',
          'tsx',
          'reader/cli.ts',
          'read',
          '--reader',
          slotName(0),
          '--json',
        ]),
      'pkcs15-tool (list + read each certificate)': async () => {
        await run('pkcs15-tool', ['--reader', '0', '--list-certificates']);
        await run('pkcs15-tool', ['--reader', '0', '--read-certificate', '01']);
        await run('pkcs15-tool', ['--reader', '0', '--read-certificate', '02']);
      },
      'yubico-piv-tool -a status': () =>
        run('yubico-piv-tool', ['-r', slotName(0), '-a', 'status']),
    };
    const results = new Map<string, { ms: number[]; apdus: number[] }>(
      Object.keys(tools).map((k) => [k, { ms: [], apdus: [] }]),
    );
    for (const [name, fn] of Object.entries(tools)) await measure(fn, cardOf(name)); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const [name, fn] of Object.entries(tools)) {
        const r = await measure(fn, cardOf(name));
        results.get(name)?.ms.push(r.ms);
        results.get(name)?.apdus.push(r.apdus);
      }
    }
    const median = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const rows = [...results.entries()].map(([name, r]) => ({
      name,
      ms: median(r.ms),
      apdus: median(r.apdus),
    }));
    const agent = rows[0];
    console.log(
      `\nReader benchmark: ${rounds} alternating rounds, one card with 2 RSA-2048 certificates, pcscd with the no-delay shim\n`,
    );
    console.log(
      `${'reader'.padEnd(64)}${'APDUs'.padStart(7)}${'median ms'.padStart(12)}${'vs agent'.padStart(10)}`,
    );
    for (const row of rows) {
      const ratio = agent ? (row.ms / agent.ms).toFixed(1) : '-';
      console.log(
        `${row.name.padEnd(64)}${String(row.apdus).padStart(7)}${row.ms.toFixed(1).padStart(12)}${`${ratio}x`.padStart(10)}`,
      );
    }
    watcher.close();
    await card.remove();
    await shortCard.remove();
  } finally {
    await pcscd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
