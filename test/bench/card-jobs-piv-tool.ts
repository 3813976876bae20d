/**
 * What yubico-piv-tool needs for the card steps of an issuance and an unlock, on a fresh
 * simulated card in the bench's reader: APDUs counted by the card, time per run. The
 * certificates come from openssl over the keys the card made (yubico-piv-tool 2.2.0's
 * selfsign fails on OpenSSL 3), signed by a throwaway CA with the extensions our CA writes,
 * so the PUT DATA carries about as much; openssl's time is kept apart.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blankProfile, factoryDefaults, saveProfile } from '../../reader/simulator/card-profile.ts';
import type { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { tool } from '../reader/tools.ts';
import { waitFor } from '../support/wait-for.ts';
import { quietCard, reader, timedCard } from './card-jobs-stack.ts';

export interface ToolRun {
  action: string;
  apdus: number;
  ms: number;
  cardMs: number;
}

export interface ToolFlow {
  runs: ToolRun[];
  apdus: number;
  ms: number;
  cardMs: number;
  /** openssl making the two certificates (issuance only), not counted in ms. */
  opensslMs: number;
  certificateBytes: number[];
}

const newPin = '246810';
const newPuk = '87654321';
const newKey = '0f0e0d0c0b0a09080706050403020100aabbccddeeff0011';

async function ok(command: string, args: string[]) {
  const r = await tool(command, args);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.out}`);
  return r;
}

const readerHasCard = async () =>
  (await tool('opensc-tool', ['-l'])).out
    .split('\n')
    .some((l) => l.includes(reader) && /\bYes\b/.test(l));

/** A throwaway CA for the tool's certificates, and the extensions our CA puts in a 9A one. */
export async function makeBenchCa(dir: string) {
  await ok('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.pem'),
    '-subj',
    '/CN=Bench Issuing CA/O=Smartcard RA Bench',
    '-days',
    '3650',
  ]);
  writeFileSync(
    join(dir, 'ext.cnf'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth,1.3.6.1.4.1.311.20.2.2',
      'subjectAltName=email:bench.holder@demo.nhs.example,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:bench.holder@demo.nhs.example',
      'crlDistributionPoints=URI:http://127.0.0.1:40000/pki/crl',
      'authorityInfoAccess=OCSP;URI:http://127.0.0.1:40000/pki/ocsp,caIssuers;URI:http://127.0.0.1:40000/pki/issuing.crt',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
}

/** Runs the flow's steps on a fresh blank card in the reader, then takes the card out. */
async function onFreshCard(
  dir: string,
  name: string,
  steps: (
    run: (action: string, args: string[]) => Promise<void>,
    card: SimulatedCard,
  ) => Promise<number>,
): Promise<ToolFlow> {
  const profilePath = join(dir, `${name}.json`);
  saveProfile(profilePath, blankProfile());
  const { card, cardMs } = timedCard(profilePath);
  await card.insert();
  await waitFor(readerHasCard, 'pcscd to see the fresh card');
  await quietCard(card);
  const runs: ToolRun[] = [];
  const run = async (action: string, args: string[]) => {
    const apdus = card.connection.apduCount;
    const cardBefore = cardMs();
    const started = performance.now();
    await ok('yubico-piv-tool', ['-r', reader, ...args]);
    runs.push({
      action,
      ms: performance.now() - started,
      apdus: card.connection.apduCount - apdus,
      cardMs: cardMs() - cardBefore,
    });
  };
  try {
    const opensslMs = await steps(run, card);
    return {
      runs,
      apdus: runs.reduce((n, r) => n + r.apdus, 0),
      ms: runs.reduce((n, r) => n + r.ms, 0),
      cardMs: runs.reduce((n, r) => n + r.cardMs, 0),
      opensslMs,
      certificateBytes: [],
    };
  } finally {
    await removeAndWait(card);
    rmSync(profilePath, { force: true });
  }
}

async function removeAndWait(card: SimulatedCard) {
  await card.remove();
  await waitFor(async () => !(await readerHasCard()), 'pcscd to see the card go');
}

/**
 * Issuance's card steps: generate 9A and 9C (RSA 2048), import a certificate into each,
 * change the PUK, set the management key, change the PIN. One action per run.
 */
export async function toolIssuance(dir: string, round: number): Promise<ToolFlow> {
  const sizes: number[] = [];
  const flow = await onFreshCard(dir, `piv-issue-${round}`, async (run) => {
    let opensslMs = 0;
    for (const slot of ['9a', '9c']) {
      await run(`generate ${slot}`, [
        '-a',
        'generate',
        '-s',
        slot,
        '-A',
        'RSA2048',
        '-o',
        join(dir, `${slot}.pub`),
      ]);
    }
    for (const slot of ['9a', '9c']) {
      const started = performance.now();
      const cert = join(dir, `${slot}.crt`);
      await ok('openssl', [
        'x509',
        '-new',
        '-subj',
        `/CN=Bench Holder ${slot}/O=RWG01/OU=Smartcard RA Bench`,
        '-force_pubkey',
        join(dir, `${slot}.pub`),
        '-CA',
        join(dir, 'ca.pem'),
        '-CAkey',
        join(dir, 'ca.key'),
        '-days',
        '730',
        '-extfile',
        join(dir, 'ext.cnf'),
        '-out',
        cert,
      ]);
      await ok('openssl', ['x509', '-in', cert, '-outform', 'DER', '-out', `${cert}.der`]);
      sizes.push(readFileSync(`${cert}.der`).length);
      opensslMs += performance.now() - started;
    }
    for (const slot of ['9a', '9c'])
      await run(`import-certificate ${slot}`, [
        '-a',
        'import-certificate',
        '-s',
        slot,
        '-i',
        join(dir, `${slot}.crt`),
      ]);
    await run('change-puk', ['-a', 'change-puk', '-P', factoryDefaults.puk, '-N', newPuk]);
    await run('set-mgm-key', ['-a', 'set-mgm-key', '-n', newKey]);
    await run('change-pin', ['-a', 'change-pin', '-P', factoryDefaults.pin, '-N', newPin]);
    return opensslMs;
  });
  return { ...flow, certificateBytes: sizes };
}

/** Unlock's card steps on a card whose PIN is blocked: unblock-pin with the PUK, then change-puk. */
export async function toolUnlock(dir: string, round: number): Promise<ToolFlow> {
  return onFreshCard(dir, `piv-unlock-${round}`, async (run, card) => {
    // Blocked first, as the agent's card was: these VERIFYs are not the unlock's.
    for (let i = 0; i < 3; i += 1)
      await tool('yubico-piv-tool', ['-r', reader, '-a', 'verify-pin', '-P', '000000']);
    await quietCard(card);
    await run('unblock-pin', ['-a', 'unblock-pin', '-P', factoryDefaults.puk, '-N', newPin]);
    await run('change-puk', ['-a', 'change-puk', '-P', factoryDefaults.puk, '-N', newPuk]);
    return 0;
  });
}
