import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { find } from '../../reader/piv/tlv.ts';
import { blankProfile, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { holdsFor, waitFor } from '../support/wait-for.ts';
import { tool } from './tools.ts';

const agentCli = (...args: string[]) =>
  tool(process.execPath, ['--import', 'tsx', 'reader/cli.ts', ...args]);

const until = (check: () => boolean | Promise<boolean>, what: string, ms = 20_000) =>
  waitFor(check, what, ms);

interface Row {
  sequence: number;
  kind: string;
  card_serial: string | null;
  idempotency_key: string;
}

/**
 * The workstation agent (`npm run agent -- watch`, a real process) on the real pcscd with
 * simulated cards, reporting to the real server on a real port over a real database.
 */
describe('the workstation agent, reporting to the server', () => {
  let pcscd: Pcscd;
  let app: TestApp;
  let http: ServerType | undefined;
  let port = 0;
  let dir: string;
  let config: string;
  let queue: string;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  const cards: SimulatedCard[] = [];
  let serials: string[] = [];

  /** Serves the app on the same port each time (a fresh one the first time). */
  const listen = () =>
    new Promise<void>((done) => {
      const server = serve({ fetch: app.app.fetch, port, hostname: '127.0.0.1' }, (info) => {
        port = (info as AddressInfo).port;
        done();
      });
      http = server;
    });
  const stopListening = () =>
    new Promise<void>((done) => {
      if (!http) return done();
      const s = http as unknown as import('node:http').Server;
      s.closeAllConnections();
      s.close(() => done());
      http = undefined;
    });
  const url = () => `http://127.0.0.1:${port}`;

  const startAgent = () => {
    agent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'reader/cli.ts',
        'watch',
        '--server',
        url(),
        '--config',
        config,
        '--queue',
        queue,
        '--retry-max-seconds',
        '1',
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
  };
  const stopAgent = async () => {
    const running = agent;
    agent = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    await exited;
  };
  const queuedLines = () => agentLog.match(/queued as #\d+/g)?.length ?? 0;

  const observations = async (): Promise<Row[]> => {
    const result = await app.db.execute(
      sql`select sequence, kind, card_serial, idempotency_key from card_observations order by id`,
    );
    return ((result as { rows?: Row[] }).rows ?? (result as unknown as Row[])).map((r) => ({
      ...r,
      sequence: Number(r.sequence),
    }));
  };

  beforeAll(async () => {
    pcscd = await startPcscd();
    app = await createTestApp('pglite');
    await listen();
    dir = mkdtempSync(join(tmpdir(), 'ra-watch-'));
    config = join(dir, 'config', 'agent.json');
    queue = join(dir, 'queue');
    for (const [slot, serial] of [
      [0, '5550aaaa'],
      [1, '5550bbbb'],
    ] as const) {
      const profile = join(dir, `${serial}.json`);
      saveProfile(profile, blankProfile(serial));
      cards.push(new SimulatedCard(profile, testReader.port + slot));
    }
    serials = cards.map((c) => {
      const chuid = c.profile.objects['5fc102'];
      if (!chuid) throw new Error('the simulated card has no CHUID');
      // The GUID (tag 34) of the CHUID: the card's serial as the server keys it.
      const guid = find(Buffer.from(chuid, 'base64'), 0x34);
      if (!guid) throw new Error('the simulated CHUID has no GUID');
      return guid.toString('hex');
    });
  });

  afterAll(async () => {
    await stopAgent();
    for (const card of cards) await card.remove();
    await stopListening();
    await app?.close();
    await pcscd?.stop();
  });

  it('enrols with a one-time code, keeps the credential to itself, and refuses the code again', async () => {
    const manager = await app.login('manager');
    const registered = await app.app.request('/api/workstations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({
        name: 'AMU desk 1',
        location: 'Acute Medical Unit',
        odsCode: 'RWG01',
      }),
    });
    expect(registered.status).toBe(201);
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };

    const enrolled = await agentCli(
      'enrol',
      '--server',
      url(),
      '--code',
      enrolment.code,
      '--config',
      config,
    );
    expect(enrolled.code).toBe(0);
    expect(enrolled.out).toContain('Enrolled as workstation "AMU desk 1"');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'config')).mode & 0o777).toBe(0o700);

    // The same code a second time, and a code nobody issued: the same plain refusal.
    for (const code of [enrolment.code, 'ABCD-EFGH-JKMN-PQRS']) {
      const again = await agentCli(
        'enrol',
        '--server',
        url(),
        '--code',
        code,
        '--config',
        join(dir, 'other.json'),
      );
      expect(again.code).toBe(1);
      expect(again.out).toContain('This enrolment code is not valid');
      expect(readdirSync(dir)).not.toContain('other.json');
    }
    // A credential over plain http to another machine is refused before anything is sent.
    const insecure = await agentCli(
      'enrol',
      '--server',
      'http://ra.example.nhs.uk',
      '--code',
      enrolment.code,
      '--config',
      join(dir, 'other.json'),
    );
    expect(insecure.code).toBe(1);
    expect(insecure.out).toContain('https only');
    // Watching for a server other than the one it enrolled with: refused, naming both.
    const elsewhere = await agentCli(
      'watch',
      '--server',
      'https://ra.example.nhs.uk',
      '--config',
      config,
      '--queue',
      queue,
    );
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.out).toContain(`enrolled with ${url()}, not https://ra.example.nhs.uk`);
  });

  it('reports a card going in (read in full) and coming out, and the server flags what it saw', async () => {
    // Card A as a stranger's card would be: a certificate from another CA, expiring in 20
    // days, and two wrong PINs typed. Personalised with yubico-piv-tool before the agent runs.
    await cards[0]?.insert();
    const piv = (...args: string[]) => tool('yubico-piv-tool', ['-r', slotName(0), ...args]);
    await until(async () => (await piv('-a', 'status')).code === 0, 'card A to answer');
    const cert = join(dir, 'a.pem');
    const made = await tool('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'a.key'),
      '-out',
      cert,
      '-subj',
      '/CN=Ada Stranger/O=Elsewhere',
      '-days',
      '20',
    ]);
    expect(made.code, made.out).toBe(0);
    expect((await piv('-a', 'import-certificate', '-s', '9a', '-i', cert)).code).toBe(0);
    await piv('-a', 'verify-pin', '-P', '999999');
    await piv('-a', 'verify-pin', '-P', '999999');
    await cards[0]?.remove();

    startAgent();
    await until(() => agentLog.includes('answering "Check my card"'), 'the agent to start');
    // The same agent answers the server's "Check my card" page: asked while it is reading
    // the card for the server, so both uses of the one reader run at once.
    const localPort = /on http:\/\/127\.0\.0\.1:(\d+)\/cards/.exec(agentLog)?.[1];
    const local = (origin: string) =>
      fetch(`http://127.0.0.1:${localPort}/cards`, { headers: { origin } });
    await cards[0]?.insert();
    let seen: { holder: { name: string }; daysLeft: number; pin: { triesLeft: number } }[] = [];
    // A poll that meets the card in the instant it goes in may get a read error; the page
    // polls again and the agent reads the card afresh. What it said is kept for the failure.
    const readErrors: string[] = [];
    await until(async () => {
      const cards = ((await (await local(url())).json()) as { cards: unknown[] }).cards;
      for (const c of cards)
        if (c && typeof c === 'object' && 'error' in c) readErrors.push(String(c.error));
      seen = cards.filter(
        (c): c is (typeof seen)[number] => !!c && typeof c === 'object' && 'holder' in c,
      );
      return seen.length === 1;
    }, 'the local API to show card A').catch((err: unknown) => {
      throw new Error(
        `${(err as Error).message}; read errors: ${readErrors.join(' | ') || 'none'}; the agent said:\n${agentLog.slice(-1500)}`,
      );
    });
    if (readErrors.length) console.warn(`card A was read again after: ${readErrors.join(' | ')}`);
    expect(seen[0]?.holder.name).toBe('Ada Stranger');
    expect(seen[0]?.daysLeft).toBe(19);
    expect(seen[0]?.pin.triesLeft).toBe(1);
    expect((await local('https://evil.example')).status).toBe(403);
    await until(async () => (await observations()).length === 1, 'the insertion to arrive');
    await cards[0]?.remove();
    await until(async () => (await observations()).length === 2, 'the removal to arrive');
    expect((await observations()).map((o) => [o.kind, o.card_serial])).toEqual([
      ['card_inserted', serials[0]],
      ['card_removed', serials[0]],
    ]);
    const manager = await app.login('manager');
    const res = await app.app.request('/api/flags', { headers: manager.headers });
    const flags = ((await res.json()) as { items: { kind: string; card: { serial: string } }[] })
      .items;
    expect(flags.filter((f) => f.card.serial === serials[0]).map((f) => f.kind)).toEqual([
      'foreign_certificate',
      'unknown_card',
      'pin_last_try',
      'certificate_expiring',
    ]);
    // The certificate went to the server whole: its DER (public), which the server checked
    // against the sha256 reported beside it before taking the observation.
    const stored = await app.db.execute(
      sql`select body from card_observations where kind = 'card_inserted' and card_serial = ${serials[0]}`,
    );
    type Body = { card: { certificates: { slot: string; certificate: { der: string } }[] } };
    const [row] = (stored as { rows?: { body: Body }[] }).rows ?? [];
    expect(row?.body.card.certificates.map((c) => [c.slot, c.certificate.der])).toEqual([
      ['9a', new X509Certificate(readFileSync(cert)).raw.toString('base64')],
    ]);
  });

  it('keeps what it sees while the server is down, across its own restart, and delivers each once, in order', async () => {
    const before = (await observations()).length;
    await stopListening();
    const queuedBefore = queuedLines();
    await cards[1]?.insert();
    await until(() => queuedLines() === queuedBefore + 1, 'card B to be queued');
    await cards[1]?.remove();
    await until(() => queuedLines() === queuedBefore + 2, 'card B’s removal to be queued');
    // The agent stops (a reboot, an update) with two observations on disk, and starts again.
    await stopAgent();
    expect(readdirSync(queue).filter((n) => n.endsWith('.json'))).toHaveLength(2);
    agentLog = '';
    startAgent();
    await until(() => agentLog.includes('2 observations queued'), 'the agent to find its queue');
    await cards[0]?.insert();
    await until(() => queuedLines() === 1, 'card A to be queued');
    await cards[0]?.remove();
    await until(() => queuedLines() === 2, 'card A’s removal to be queued');

    await listen();
    await until(
      async () => (await observations()).length === before + 4,
      'the queue to drain',
      30_000,
    );
    // Anything sent twice would show within this time.
    await holdsFor(async () => (await observations()).length === before + 4, 'one copy each', 1500);
    const all = await observations();
    expect(all).toHaveLength(before + 4);
    expect(all.slice(before).map((o) => [o.kind, o.card_serial])).toEqual([
      ['card_inserted', serials[1]],
      ['card_removed', serials[1]],
      ['card_inserted', serials[0]],
      ['card_removed', serials[0]],
    ]);
    const sequences = all.map((o) => o.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(all.map((o) => o.idempotency_key)).size).toBe(all.length);
    expect(readdirSync(queue).filter((n) => n.endsWith('.json'))).toEqual([]);
  });

  it('reports nothing of a card pulled out mid-read, and keeps running', async () => {
    const before = (await observations()).length;
    const card = cards[1];
    if (!card) throw new Error('no card B');
    // The card is taken out after answering the SELECT and the CHUID, before its certificates.
    const transmit = card.card.transmit.bind(card.card);
    let apdus = 0;
    card.card.transmit = (raw: Buffer) => {
      apdus += 1;
      if (apdus === 3) void card.remove();
      return transmit(raw);
    };
    try {
      await card.insert();
      await until(
        () => agentLog.includes('taken out while being read'),
        'the agent to notice',
      ).catch((err) => {
        throw new Error(`${(err as Error).message}; the agent said:\n${agentLog.slice(-1500)}`);
      });
    } finally {
      card.card.transmit = transmit;
    }
    await holdsFor(
      async () => (await observations()).length === before,
      'no report of the pulled card',
      1000,
    );

    // The next card is read and reported as usual.
    await cards[0]?.insert();
    await until(async () => (await observations()).length === before + 1, 'the next card');
    expect((await observations()).at(-1)?.card_serial).toBe(serials[0]);
    await cards[0]?.remove();
    await until(async () => (await observations()).length === before + 2, 'its removal');
  });

  it('rides out pcscd being killed (every reader vanishes) and reports the next card', async () => {
    if (!pcscd.started) throw new Error('this test restarts pcscd, so it must have started it');
    const before = (await observations()).length;
    await pcscd.kill();
    await until(() => agentLog.includes('PC/SC service stopped'), 'the agent to see pcscd go');
    // pcscd stays away for a while (not a wait for something: the outage is the test), so
    // the agent's reconnect attempts meet a missing daemon before it comes back.
    await new Promise((r) => setTimeout(r, 1000));
    await pcscd.start();
    await until(
      () => (agentLog.match(/reader RA Test Reader 00 00 connected/g)?.length ?? 0) >= 2,
      'the reader to come back',
    );
    await cards[1]?.insert();
    await until(
      async () => (await observations()).length === before + 1,
      'the card after the restart',
    );
    expect((await observations()).at(-1)?.card_serial).toBe(serials[1]);
    expect(agent?.exitCode).toBeNull();
  });
});
