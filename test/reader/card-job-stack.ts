import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { and, eq, isNull } from 'drizzle-orm';
import { expect } from 'vitest';
import { cards, certificates } from '../../db/schema/cards.ts';
import type { SlotReading } from '../../reader/agent/read-piv-card.ts';
import { objectTags } from '../../reader/piv/constants.ts';
import {
  blankProfile,
  chuidObject,
  loadProfile,
  saveProfile,
} from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { tool } from './tools.ts';

export const reader = slotName(0);
export const piv = (...args: string[]) => tool('yubico-piv-tool', ['-r', reader, ...args]);
export const agentCli = (...args: string[]) =>
  tool(process.execPath, ['--import', 'tsx', 'reader/cli.ts', ...args]);

export interface JobView {
  id: string;
  state: string;
  step: string | null;
  failure: string | null;
  steps: { step: string; words: string }[];
}

/** The `watch` agent as a real process, and what it printed. */
export interface RunningAgent {
  process: ChildProcess;
  log: string;
  /** Its loopback API's port. */
  port: number;
}

/**
 * The real stack of the card-job tests: pcscd with the RA test reader, the test app (demo
 * morning seeded) on a real port, a workstation enrolled with the agent CLI, and the `watch`
 * agent as a process that can be started, killed and started again with the same enrolment.
 */
export class CardJobStack {
  t!: TestApp;
  pcscd!: Pcscd;
  http: ServerType | undefined;
  port = 0;
  dir = mkdtempSync(join(tmpdir(), 'ra-card-job-stack-'));
  workstationId = '';
  agent: RunningAgent | undefined;
  card: SimulatedCard | undefined;
  /** The serial (CHUID GUID) of the card in the reader. */
  serial = '';
  private config = '';

  url = () => `http://127.0.0.1:${this.port}`;

  async start(env: Record<string, string> = {}) {
    this.pcscd = await startPcscd();
    this.t = await createTestApp('pglite', { env });
    await seedDemoMorning(this.t);
    await new Promise<void>((done) => {
      this.http = serve({ fetch: this.t.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        this.port = (info as AddressInfo).port;
        done();
      });
    });
    const manager = await this.t.login('manager');
    const registered = await this.t.app.request('/api/workstations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ name: 'RA desk (interruptions)', odsCode: 'RWG01' }),
    });
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
    this.config = join(this.dir, 'agent.json');
    const enrolled = await agentCli(
      'enrol',
      '--server',
      this.url(),
      '--code',
      enrolment.code,
      '--config',
      this.config,
    );
    expect(enrolled.code, enrolled.out).toBe(0);
    this.workstationId = (
      JSON.parse(readFileSync(this.config, 'utf8')) as { workstationId: string }
    ).workstationId;
  }

  /** Starts `npm run agent -- watch` and waits for its loopback API (and the card, if one is in). */
  async startAgent(): Promise<RunningAgent> {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'reader/cli.ts',
        'watch',
        '--virtual',
        '--config',
        this.config,
        '--queue',
        join(this.dir, 'queue'),
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const agent: RunningAgent = { process: child, log: '', port: 0 };
    const collect = (d: Buffer) => {
      agent.log += d.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const loopback = /on http:\/\/127\.0\.0\.1:(\d+)\/cards/;
    await waitFor(
      () => loopback.test(agent.log) || child.exitCode !== null,
      'the agent to answer on loopback',
      30_000,
    );
    agent.port = Number(loopback.exec(agent.log)?.[1]);
    expect(agent.port, agent.log).toBeGreaterThan(0);
    this.agent = agent;
    if (this.card?.connection.inserted) await this.agentSeesCard();
    return agent;
  }

  /** SIGKILL: nothing of the agent runs after this call. */
  killAgent(): void {
    this.agent?.process.kill('SIGKILL');
  }

  async stopAgent(): Promise<void> {
    const child = this.agent?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  /**
   * A blank card of the stock in the reader (any card there before is taken out): its CHUID
   * GUID is the serial the RA imported, its management key the demo's transport key.
   */
  async insertStockCard(serial: string): Promise<{ card: SimulatedCard; profilePath: string }> {
    await this.card?.remove();
    const profilePath = join(this.dir, `card-${serial}.json`);
    const profile = blankProfile('00c0ffee');
    profile.objects[objectTags.chuid.toString(16)] = chuidObject(
      Buffer.from(serial, 'hex'),
      '20351231',
    ).toString('base64');
    saveProfile(profilePath, profile);
    const card = new SimulatedCard(profilePath, testReader.port);
    this.card = card;
    this.serial = serial;
    await this.reinsert();
    return { card, profilePath };
  }

  /** Puts the current card (back) in the reader and waits until the agent sees it there. */
  async reinsert(): Promise<void> {
    await this.card?.insert();
    await this.agentSeesCard();
  }

  /** Waits until the running agent's loopback API lists the card in the reader. */
  async agentSeesCard(): Promise<void> {
    const guid = this.serial.toLowerCase();
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${this.agent?.port}/cards`, {
          headers: { origin: this.url() },
        }).catch(() => undefined);
        if (res?.status !== 200) return false;
        const { cards } = (await res.json()) as { cards: { serial: string | null }[] };
        return cards.some((c) => c.serial === guid);
      },
      'the agent to see the card in the reader',
      15_000,
    );
  }

  /** Asks the server for a job and hands it to the agent with the PIN; the job's id. */
  async handJob(
    who: SignedIn,
    serial: string,
    body: Record<string, unknown>,
    pin?: string,
  ): Promise<string> {
    const made = await this.t.app.request('/api/card-jobs', {
      method: 'POST',
      headers: who.headers,
      body: JSON.stringify({ cardSerial: serial, workstationId: this.workstationId, ...body }),
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const job = (await made.json()) as { id: string; nonce: string };
    const handed = await fetch(`http://127.0.0.1:${this.agent?.port}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.url() },
      body: JSON.stringify({
        jobId: job.id,
        nonce: job.nonce,
        reader,
        ...(pin ? { pin, pinConfirmation: pin } : {}),
      }),
    });
    expect(handed.status, `${await handed.clone().text()} ${this.agent?.log}`).toBe(202);
    return job.id;
  }

  async view(who: SignedIn, jobId: string): Promise<JobView> {
    const res = await this.t.app.request(`/api/card-jobs/${jobId}`, { headers: who.headers });
    expect(res.status).toBe(200);
    return (await res.json()) as JobView;
  }

  /** The job as the server shows it once it has ended. */
  async ended(who: SignedIn, jobId: string): Promise<JobView> {
    let view: JobView | undefined;
    await waitFor(
      async () => {
        view = await this.view(who, jobId);
        return view.state === 'succeeded' || view.state === 'failed';
      },
      'the job to end',
      60_000,
    );
    return view as JobView;
  }

  async runJob(who: SignedIn, serial: string, body: Record<string, unknown>, pin?: string) {
    return this.ended(who, await this.handJob(who, serial, body, pin));
  }

  async cardRow(serial: string) {
    const [row] = await this.t.db.select().from(cards).where(eq(cards.serial, serial));
    if (!row) throw new Error(`no card ${serial}`);
    return row;
  }

  async jobCertificates(jobId: string) {
    return this.t.db.select().from(certificates).where(eq(certificates.jobId, jobId));
  }

  /**
   * The server's records are the card's: its current certificates are exactly the ones on
   * the card (read through pcscd by `npm run agent -- read --json`), each for the key the
   * card holds in its slot; the card holds its derived management key, and the PUK the server
   * holds (none pending).
   */
  async expectRecordsMatchCard(serial: string, profilePath: string) {
    const read = await agentCli('read', '--virtual', '--reader', reader, '--json');
    expect(read.code, read.out).toBe(0);
    const reading = JSON.parse(read.out) as { certificates: SlotReading[] };
    const onCard = Object.fromEntries(
      reading.certificates.map((c) => [c.slot, 'certificate' in c ? c.certificate.der : c.error]),
    );
    const row = await this.cardRow(serial);
    const current = await this.t.db
      .select()
      .from(certificates)
      .where(
        and(
          eq(certificates.cardId, row.id),
          eq(certificates.current, true),
          isNull(certificates.revokedAt),
        ),
      );
    expect(
      Object.fromEntries(current.map((c) => [c.slot, Buffer.from(c.der ?? []).toString('base64')])),
    ).toEqual(onCard);
    const profile = loadProfile(profilePath);
    for (const c of current) {
      const key = profile.keys[c.slot ?? ''];
      expect(key, `a key in slot ${c.slot}`).toBeDefined();
      const certified = new X509Certificate(c.der ?? Buffer.alloc(0)).publicKey.export({
        type: 'spki',
        format: 'der',
      });
      const held = createPublicKey(key?.pem ?? '').export({ type: 'spki', format: 'der' });
      expect(certified.equals(held), `the ${c.slot} certificate is for the card's key`).toBe(true);
    }
    const secrets = this.t.ctx.cardSecrets;
    if (!secrets) throw new Error('the test app has no card secrets');
    expect(row.managementKey).toBe('derived');
    const algorithm = row.managementAlgorithm as 'tdes';
    expect(profile.managementKey.key).toBe(
      secrets.managementKey(serial, algorithm).toString('hex'),
    );
    expect(row.encryptedPendingPuk).toBeNull();
    expect(secrets.openPuk(row.encryptedPuk ?? '', serial)).toBe(profile.puk);
  }

  async close() {
    await this.stopAgent();
    await this.card?.remove();
    await this.pcscd?.stop();
    const s = this.http as unknown as import('node:http').Server | undefined;
    s?.closeAllConnections();
    s?.close();
    await this.t?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
