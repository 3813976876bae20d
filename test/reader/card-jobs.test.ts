import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards, certificates } from '../../db/schema/cards.ts';
import { objectTags } from '../../reader/piv/constants.ts';
import {
  blankProfile,
  chuidObject,
  loadProfile,
  saveProfile,
} from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { newStarter, stockSerials } from '../support/card-jobs.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { pem } from '../support/openssl.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { RevocationReader } from '../support/revocation-status.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { tool } from './tools.ts';

const reader = slotName(0);
const piv = (...args: string[]) => tool('yubico-piv-tool', ['-r', reader, ...args]);
const agentCli = (...args: string[]) =>
  tool(process.execPath, ['--import', 'tsx', 'reader/cli.ts', ...args]);

interface JobView {
  state: string;
  failure: string | null;
  steps: { step: string; words: string }[];
  systems: string[];
}

/**
 * Issue 11's journey through the real stack: the server (a real port, a real database), the
 * workstation agent (`npm run agent -- watch`, a real process) on the real pcscd with a
 * simulated stock card, and the tools nobody here wrote (OpenSC, yubico-piv-tool, openssl)
 * judging the card afterwards. The PIN is typed to the agent's loopback API only.
 */
describe('issuing, unlocking, renewing and cancelling a card through the agent', () => {
  let pcscd: Pcscd;
  let t: TestApp;
  let http: ServerType | undefined;
  let port = 0;
  let dir: string;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  let localPort = 0;
  let card: SimulatedCard;
  let profilePath: string;
  let serial: string;
  let workstationId: string;
  let raAgent: SignedIn;
  let holder: { id: string; name: string };
  const url = () => `http://127.0.0.1:${port}`;

  const runJob = async (who: SignedIn, body: Record<string, unknown>, pin?: string) => {
    const made = await t.app.request('/api/card-jobs', {
      method: 'POST',
      headers: who.headers,
      body: JSON.stringify({ cardSerial: serial, workstationId, ...body }),
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const job = (await made.json()) as { id: string; nonce: string };
    const handed = await fetch(`http://127.0.0.1:${localPort}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url() },
      body: JSON.stringify({
        jobId: job.id,
        nonce: job.nonce,
        reader,
        ...(pin ? { pin, pinConfirmation: pin } : {}),
      }),
    });
    expect(handed.status, `${await handed.clone().text()} ${agentLog}`).toBe(202);
    let view: JobView | undefined;
    await waitFor(
      async () => {
        view = (await (
          await t.app.request(`/api/card-jobs/${job.id}`, { headers: who.headers })
        ).json()) as JobView;
        return view.state === 'succeeded' || view.state === 'failed';
      },
      'the job to end',
      60_000,
    );
    return view as JobView;
  };

  beforeAll(async () => {
    pcscd = await startPcscd();
    t = await createTestApp('pglite');
    await seedDemoMorning(t);
    holder = await newStarter(t, 'Imani');
    serial = (await stockSerials(t))[0] ?? '';
    await new Promise<void>((done) => {
      http = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        port = (info as AddressInfo).port;
        done();
      });
    });
    dir = mkdtempSync(join(tmpdir(), 'ra-card-jobs-'));
    // A blank card of the stock: its CHUID GUID is the serial the RA imported.
    profilePath = join(dir, 'card.json');
    const profile = blankProfile('00c0ffee');
    profile.objects[objectTags.chuid.toString(16)] = chuidObject(
      Buffer.from(serial, 'hex'),
      '20351231',
    ).toString('base64');
    saveProfile(profilePath, profile);
    card = new SimulatedCard(profilePath, testReader.port);

    const manager = await t.login('manager');
    const registered = await t.app.request('/api/workstations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ name: 'RA desk (card jobs)', odsCode: 'RWG01' }),
    });
    const { enrolment, workstation } = (await registered.json()) as {
      enrolment: { code: string };
      workstation?: { id: string };
    };
    const config = join(dir, 'agent.json');
    const enrolled = await agentCli(
      'enrol',
      '--server',
      url(),
      '--code',
      enrolment.code,
      '--config',
      config,
    );
    expect(enrolled.code, enrolled.out).toBe(0);
    workstationId =
      workstation?.id ??
      (JSON.parse(readFileSync(config, 'utf8')) as { workstationId: string }).workstationId;
    agent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'reader/cli.ts',
        'watch',
        '--virtual',
        '--config',
        config,
        '--queue',
        join(dir, 'queue'),
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (d: Buffer) => {
      agentLog += d.toString();
    });
    agent.stderr?.on('data', (d: Buffer) => {
      agentLog += d.toString();
    });
    await waitFor(
      () => /on http:\/\/127\.0\.0\.1:(\d+)\/cards/.test(agentLog),
      'the agent to answer on loopback',
      30_000,
    );
    localPort = Number(/on http:\/\/127\.0\.0\.1:(\d+)\/cards/.exec(agentLog)?.[1]);
    await card.insert();
    await waitFor(
      async () => (await tool('opensc-tool', ['-l'])).out.includes('Yes'),
      'pcscd to see the card',
    );
    // The agent has the card in its reader (its own view of pcscd, not only OpenSC's).
    await waitFor(
      async () => {
        const seen = await fetch(`http://127.0.0.1:${localPort}/cards`, {
          headers: { origin: url() },
        })
          .then((r) => r.json() as Promise<{ cards: { serial?: string }[] }>)
          .catch(() => ({ cards: [] }));
        return seen.cards.some((c) => c.serial === serial);
      },
      'the agent to see the card',
      30_000,
    );
    raAgent = await t.login('agent');
  }, 120_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent?.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await card?.remove();
    await pcscd?.stop();
    const s = http as unknown as import('node:http').Server | undefined;
    s?.closeAllConnections();
    s?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues the card: certificates the tools list and openssl verifies, a key that signs under the holder’s PIN; then block, unlock, renew and cancel, each on the CRL as it should be', async () => {
    const pin = '246810';
    const issued = await runJob(raAgent, { kind: 'issue', personId: holder.id }, pin);
    expect(issued.state, `${issued.failure}\n${agentLog}`).toBe('succeeded');
    expect(agentLog).not.toContain(pin);

    // The tools see what the job wrote.
    const status = await piv('-a', 'status');
    expect(status.out).toMatch(/Slot 9a:/);
    expect(status.out).toMatch(/Slot 9c:/);
    expect(status.out).toContain(holder.name);
    const listed = await tool('pkcs15-tool', ['--reader', '0', '--list-certificates']);
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out.match(/X\.509 Certificate/g)?.length ?? 0).toBeGreaterThanOrEqual(2);

    // openssl accepts both certificates against our CA chain.
    const [row] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(row?.state).toBe('active');
    const certs = await t.db
      .select()
      .from(certificates)
      .where(eq(certificates.cardId, row?.id ?? ''));
    const current = certs.filter((c) => c.current);
    expect(current.map((c) => c.slot).sort()).toEqual(['9a', '9c']);
    const root = Buffer.from(await (await t.app.request('/pki/root.crt')).arrayBuffer());
    const issuing = Buffer.from(await (await t.app.request('/pki/issuing.crt')).arrayBuffer());
    const rootPem = join(dir, 'root.pem');
    const issuingPem = join(dir, 'issuing.pem');
    writeFileSync(rootPem, pem(root));
    writeFileSync(issuingPem, pem(issuing));
    for (const c of current) {
      const file = join(dir, `${c.slot}.pem`);
      writeFileSync(file, pem(c.der ?? Buffer.alloc(0)));
      const verified = await tool('openssl', [
        'verify',
        '-CAfile',
        rootPem,
        '-untrusted',
        issuingPem,
        file,
      ]);
      expect(verified.out).toContain(': OK');
    }

    // OpenSC's PKCS#11 module signs with the 9A key under the holder's PIN; openssl verifies.
    const data = join(dir, 'data.txt');
    const signature = join(dir, 'data.sig');
    writeFileSync(data, 'A discharge letter, signed by the card');
    const signed = await tool('pkcs11-tool', [
      '--login',
      '--pin',
      pin,
      '--sign',
      '--id',
      '01',
      '-m',
      'SHA256-RSA-PKCS',
      '-i',
      data,
      '-o',
      signature,
    ]);
    expect(signed.code, signed.out).toBe(0);
    const authPem = join(dir, '9a.pem');
    const pubkey = join(dir, '9a.pub');
    await tool('openssl', ['x509', '-in', authPem, '-pubkey', '-noout', '-out', pubkey]);
    const checked = await tool('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      pubkey,
      '-signature',
      signature,
      data,
    ]);
    expect(checked.out).toContain('Verified OK');

    // Three wrong PINs block it.
    for (let i = 0; i < 3; i += 1) await piv('-a', 'verify-pin', '-P', '000000');
    expect((await piv('-a', 'status')).out).toMatch(/PIN tries left:\s+0/);
    const pukBefore = loadProfile(profilePath).puk;

    // The sponsor unlocks it at the desk with the holder's new PIN.
    const newPin = '13572468';
    const sponsor = await t.login('sponsor');
    const unlocked = await runJob(sponsor, { kind: 'unlock' }, newPin);
    expect(unlocked.state, `${unlocked.failure}\n${agentLog}`).toBe('succeeded');
    expect(unlocked.systems.length).toBeGreaterThan(0);
    expect((await piv('-a', 'verify-pin', '-P', newPin)).code).toBe(0);
    // The PUK that unlocked it was changed by the same job: the old one is refused.
    expect(loadProfile(profilePath).puk).not.toBe(pukBefore);
    const oldPuk = await piv('-a', 'unblock-pin', '-P', pukBefore, '-N', '999999');
    expect(oldPuk.code).not.toBe(0);

    // The RA agent renews it: new keys and certificates, the old ones revoked as superseded.
    const renewed = await runJob(raAgent, { kind: 'renew' });
    expect(renewed.state, `${renewed.failure}\n${agentLog}`).toBe('succeeded');
    const revocations = new RevocationReader(t);
    const crl = await revocations.crl();
    for (const old of current) expect(crl.listed.get(old.serialNumber)).toBe('Superseded');
    const after = await t.db
      .select()
      .from(certificates)
      .where(eq(certificates.cardId, row?.id ?? ''));
    const fresh = after.filter((c) => c.current);
    expect(fresh.length).toBe(2);

    // Lost: cancelled, its certificates revoked as keyCompromise.
    const cancelled = await t.app.request(`/api/cards/${serial}/cancel`, {
      method: 'POST',
      headers: raAgent.headers,
      body: JSON.stringify({ reason: 'lost' }),
    });
    expect(cancelled.status).toBe(200);
    const crlAfter = await new RevocationReader(t).crl();
    for (const c of fresh) expect(crlAfter.listed.get(c.serialNumber)).toBe('Key Compromise');

    const manager = await t.login('manager');
    const verify = await (
      await t.app.request('/api/audit/verify', { headers: manager.headers })
    ).json();
    expect(verify).toMatchObject({ ok: true });
  }, 240_000);
});
