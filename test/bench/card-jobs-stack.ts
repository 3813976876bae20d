/**
 * The real stack of issue 11 for the card-jobs benchmark: pcscd with the simulator, the app
 * on a real port (its fetch timed per job), and the enrolled agent running `watch` as its own
 * process. Mirrors test/reader/card-jobs.test.ts, without assertions on timings.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { isNotNull } from 'drizzle-orm';
import type { DriverName } from '../../db/client.ts';
import { certificates } from '../../db/schema/cards.ts';
import { objectTags } from '../../reader/piv/constants.ts';
import { blankProfile, chuidObject, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { tool } from '../reader/tools.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

export const reader = slotName(0);

/** One job's figures: the agent's own, the server's handlers', and the card's. */
export interface JobFigures {
  /** APDUs the agent reports it sent. */
  apdus: number;
  /** APDUs the simulated card answered while the job ran. */
  cardApdus: number;
  /** The agent's wall time for the job (first APDU to last answer). */
  ms: number;
  /** Of which the agent spent waiting for the RA server (its own figure). */
  agentServerMs: number;
  /** Time inside the server's handlers for the job's calls (start and steps), summed. */
  serverMs: number;
  serverCalls: number;
  /** serverMs by call: `start`, then each step's name. */
  serverByCall: Map<string, number>;
  /** Time the simulator spent answering the job's APDUs (its RSA key generation, mostly). */
  cardMs: number;
}

/**
 * BENCH_TLS: the app serves https, as a real RA server does, with a certificate for
 * 127.0.0.1 made here; the agent's processes (started after this) trust it through
 * NODE_EXTRA_CA_CERTS. TLS costs the agent ~10 MB that plain http on loopback does not.
 */
function benchTls(dir: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, 'tls-key.pem');
  const cert = join(dir, 'tls-cert.pem');
  execFileSync('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-days', '1'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1'],
  ]);
  process.env.NODE_EXTRA_CA_CERTS = cert;
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

/** A simulated card whose answering time is summed (the simulator runs in this process). */
export function timedCard(profilePath: string): { card: SimulatedCard; cardMs: () => number } {
  const card = new SimulatedCard(profilePath, testReader.port);
  const piv = card.card;
  const transmit = piv.transmit.bind(piv);
  let ms = 0;
  piv.transmit = (raw: Buffer) => {
    const started = performance.now();
    try {
      return transmit(raw);
    } finally {
      ms += performance.now() - started;
    }
  };
  return { card, cardMs: () => ms };
}

/**
 * The app's fetch, timing each request under /api/agent/jobs/{id}/ (per job, and per call:
 * `start` or the steps' names, read from a clone of the body before the clock starts) and
 * counting the agent's observations.
 */
function timedFetch(app: TestApp['app']) {
  const perJob = new Map<string, { ms: number; calls: number; byCall: Map<string, number> }>();
  const counts = { observations: 0 };
  const fetch = async (req: Request, env?: unknown): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const [, job, call] = /^\/api\/agent\/jobs\/([^/]+)\/(start|steps)$/.exec(path) ?? [];
    let name = call ?? '';
    if (job && call === 'steps') {
      // A call's steps by name, `a+b` when the agent folded several into one.
      const body = (await req.clone().json()) as { step?: unknown; steps?: { step?: unknown }[] };
      name = body.steps ? body.steps.map((s) => String(s.step)).join('+') : String(body.step);
    }
    const started = performance.now();
    try {
      return await app.fetch(req, env as never);
    } finally {
      if (job) {
        const ms = performance.now() - started;
        const figures = perJob.get(job) ?? { ms: 0, calls: 0, byCall: new Map() };
        figures.ms += ms;
        figures.calls += 1;
        figures.byCall.set(name, (figures.byCall.get(name) ?? 0) + ms);
        perJob.set(job, figures);
      }
      if (path === '/api/agent/observations') counts.observations += 1;
    }
  };
  return { fetch, perJob, counts };
}

/**
 * Waits until the card has answered nothing for half a second: any other PC/SC client
 * looking at it (another agent watching the same reader, on a shared machine) is done before
 * what is measured starts. Jobs connect shared, without a transaction: a client that SELECTs
 * mid-job clears the management key's authentication and the job fails.
 */
export async function quietCard(card: SimulatedCard) {
  let last = card.connection.apduCount;
  let quietSince = performance.now();
  await waitFor(
    () => {
      const now = card.connection.apduCount;
      if (now !== last) {
        last = now;
        quietSince = performance.now();
      }
      return performance.now() - quietSince >= 500;
    },
    'the card to be quiet',
    10_000,
  );
}

export class CardJobStack {
  private agentLog = '';
  private localPort = 0;
  private card: { card: SimulatedCard; cardMs: () => number } | undefined;
  private constructor(
    readonly t: TestApp,
    private readonly pcscd: Pcscd,
    private readonly http: Server,
    /** The app's origin, as the agent reaches it and its pages are served from. */
    private readonly origin: string,
    private readonly timing: ReturnType<typeof timedFetch>,
    private readonly dir: string,
    readonly raAgent: SignedIn,
    readonly sponsor: SignedIn,
    private readonly workstationId: string,
    private agent: ChildProcess | undefined = undefined,
  ) {}

  static async start(dir: string, driver: DriverName): Promise<CardJobStack> {
    const pcscd = await startPcscd();
    const t = await createTestApp(driver);
    await seedDemoMorning(t);
    const timing = timedFetch(t.app);
    const tls = process.env.BENCH_TLS ? benchTls(dir) : undefined;
    const { http, port } = await new Promise<{ http: Server; port: number }>((done) => {
      const server = serve(
        {
          fetch: timing.fetch,
          port: 0,
          hostname: '127.0.0.1',
          ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
        },
        (info) => done({ http: server as Server, port: (info as AddressInfo).port }),
      );
    });
    const manager = await t.login('manager');
    const registered = await t.app.request('/api/workstations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ name: 'RA desk (bench)', odsCode: 'RWG01' }),
    });
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
    const config = join(dir, 'agent.json');
    const server = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const enrolled = await tool(process.execPath, [
      '--import',
      'tsx',
      'reader/cli.ts',
      'enrol',
      '--server',
      server,
      '--code',
      enrolment.code,
      '--config',
      config,
    ]);
    if (enrolled.code !== 0) throw new Error(`enrol: ${enrolled.out}`);
    const { workstationId } = JSON.parse(readFileSync(config, 'utf8')) as {
      workstationId: string;
    };
    const stack = new CardJobStack(
      t,
      pcscd,
      http,
      server,
      timing,
      dir,
      await t.login('agent'),
      await t.login('sponsor'),
      workstationId,
    );
    await stack.watch(config);
    return stack;
  }

  /** False when pcscd was running already: someone else is using the test reader too. */
  get ownPcscd(): boolean {
    return this.pcscd.started;
  }

  /** The `watch` process's pid, for its memory. */
  get agentPid(): number {
    return this.agent?.pid ?? 0;
  }

  private async watch(config: string) {
    // The agent as a workstation runs it (npm run agent): built into one JavaScript file.
    execFileSync(process.execPath, ['scripts/build-agent.mjs']);
    const agent = spawn(
      process.execPath,
      [
        // As package.json's agent script runs it: a small young generation, so the heap
        // of a process that reads a card now and then does not grow to tens of MB.
        '--max-semi-space-size=1',
        'dist/agent/cli.cjs',
        'watch',
        '--virtual',
        '--config',
        config,
        '--queue',
        join(this.dir, 'queue'),
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.agent = agent;
    const keep = (d: Buffer) => {
      this.agentLog += d.toString();
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[watch] ${d.toString()}`);
    };
    agent.stdout?.on('data', keep);
    agent.stderr?.on('data', keep);
    await waitFor(
      () => /on http:\/\/127\.0\.0\.1:(\d+)\/cards/.test(this.agentLog),
      `the agent to answer on loopback (${this.agentLog})`,
      30_000,
    );
    this.localPort = Number(/on http:\/\/127\.0\.0\.1:(\d+)\/cards/.exec(this.agentLog)?.[1]);
  }

  /** Observations the agent queued (insertions and removals) have all reached the server. */
  private async reported(queuedBefore: number) {
    const queued = () => this.agentLog.match(/queued as #/g)?.length ?? 0;
    await waitFor(
      () => queued() > queuedBefore && this.timing.counts.observations >= queued(),
      'the agent to read the card and report it',
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${this.agentLog.slice(-2000)}`);
    });
  }

  private queuedNow() {
    return this.agentLog.match(/queued as #/g)?.length ?? 0;
  }

  /** Puts in a blank card of the stock (its CHUID GUID is `serial`) and waits for the agent. */
  async insertStockCard(serial: string, cardSerial: string) {
    const profilePath = join(this.dir, `card-${serial}.json`);
    const profile = blankProfile(cardSerial);
    profile.objects[objectTags.chuid.toString(16)] = chuidObject(
      Buffer.from(serial, 'hex'),
      '20351231',
    ).toString('base64');
    saveProfile(profilePath, profile);
    const before = this.queuedNow();
    this.card = timedCard(profilePath);
    await this.card.card.insert();
    await this.reported(before);
    await this.quiet();
  }

  async removeCard() {
    const before = this.queuedNow();
    await this.card?.card.remove();
    this.card = undefined;
    await this.reported(before);
  }

  /** Three wrong VERIFYs: the PIN blocked, as a holder would leave it. */
  async blockPin() {
    for (let i = 0; i < 3; i += 1)
      await tool('yubico-piv-tool', ['-r', reader, '-a', 'verify-pin', '-P', '000000']);
    await this.quiet();
  }

  private async quiet() {
    if (this.card) await quietCard(this.card.card);
  }

  /**
   * Asks the server for a job as `who`, hands it to the agent's loopback API as the page
   * would, and waits for the agent's line saying how it ended (no polling of the server
   * while it runs). Throws when the job failed.
   */
  async runJob(
    who: SignedIn,
    cardSerial: string,
    body: Record<string, unknown>,
    pin?: string,
  ): Promise<JobFigures> {
    const card = this.card;
    if (!card) throw new Error('no card in the reader');
    const made = await this.t.app.request('/api/card-jobs', {
      method: 'POST',
      headers: who.headers,
      body: JSON.stringify({ cardSerial, workstationId: this.workstationId, ...body }),
    });
    if (made.status !== 201) throw new Error(`job refused: ${made.status} ${await made.text()}`);
    const job = (await made.json()) as { id: string; nonce: string };
    const apdusBefore = card.card.connection.apduCount;
    const cardMsBefore = card.cardMs();
    const handed = await fetch(`http://127.0.0.1:${this.localPort}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.origin },
      body: JSON.stringify({
        jobId: job.id,
        nonce: job.nonce,
        reader,
        ...(pin ? { pin, pinConfirmation: pin } : {}),
      }),
    });
    if (handed.status !== 202)
      throw new Error(
        `the agent refused the ${String(body.kind)} job: ${await handed.text()}\n${this.agentLog.slice(-2000)}`,
      );
    const ended = new RegExp(
      `card job ${job.id} \\(([^)]*)\\) on [^\\n]*?: (succeeded|failed)(.*)\\n`,
    );
    await waitFor(
      () => ended.test(this.agentLog),
      `the ${String(body.kind)} job ${job.id} to end`,
      {
        timeoutMs: 120_000,
        intervalMs: 5,
      },
    ).catch(async (err: unknown) => {
      const view = await this.t.app.request(`/api/card-jobs/${job.id}`, { headers: who.headers });
      const local = await fetch(`http://127.0.0.1:${this.localPort}/jobs/${job.id}`, {
        headers: { origin: this.origin },
      });
      throw new Error(
        `${String(err)}\nserver: ${await view.text()}\nagent: ${await local.text()}\n${this.agentLog.slice(-2000)}`,
      );
    });
    const line = ended.exec(this.agentLog);
    const outcome = `${line?.[2] ?? ''}${line?.[3] ?? ''}`;
    const figures = /succeeded, (\d+) APDUs in (\d+) ms \((\d+) ms waiting for the server\)/.exec(
      outcome,
    );
    if (!figures) throw new Error(`${String(body.kind)} job ${job.id}: ${outcome}`);
    const server = this.timing.perJob.get(job.id) ?? { ms: 0, calls: 0, byCall: new Map() };
    return {
      apdus: Number(figures[1]),
      cardApdus: card.card.connection.apduCount - apdusBefore,
      ms: Number(figures[2]),
      agentServerMs: Number(figures[3]),
      serverMs: server.ms,
      serverCalls: server.calls,
      serverByCall: server.byCall,
      cardMs: card.cardMs() - cardMsBefore,
    };
  }

  /** Stops the watching agent (the memory sampler must be done with it). */
  async stopAgent() {
    const agent = this.agent;
    this.agent = undefined;
    if (!agent || agent.exitCode !== null) return;
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }

  /** DER sizes of the certificates the jobs issued, for comparison with the tool's. */
  async issuedCertificateSizes(): Promise<number[]> {
    const rows = await this.t.db
      .select({ der: certificates.der })
      .from(certificates)
      .where(isNotNull(certificates.jobId));
    return rows.map((r) => r.der?.length ?? 0).filter((n) => n > 0);
  }

  async stop() {
    await this.stopAgent();
    await this.card?.card.remove();
    this.http.closeAllConnections();
    this.http.close();
    await this.t.close();
    await this.pcscd.stop();
  }
}
