import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { objectTags } from '../../reader/piv/constants.ts';
import { blankProfile, chuidObject, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { newStarter, stockSerials } from '../support/card-jobs.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { codeIn, type SmtpTestServer, startSmtpTestServer } from '../support/smtp-test-server.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { tool } from './tools.ts';

const reader = slotName(0);
const piv = (...args: string[]) => tool('yubico-piv-tool', ['-r', reader, ...args]);

/**
 * Self-service unlock end to end: a card issued locked at the RA desk, its holder setting
 * their PIN at first use with a one-time code that a real SMTP server (smtp-server, inside
 * the test) received at their work email, through the real agent, pcscd and a simulated card.
 */
describe('a holder unlocks their own card with a code from their work email', () => {
  let pcscd: Pcscd;
  let smtp: SmtpTestServer;
  let t: TestApp;
  let http: ServerType | undefined;
  let port = 0;
  let dir: string;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  let localPort = 0;
  let card: SimulatedCard;
  let serial: string;
  let workstationId: string;
  let holder: Awaited<ReturnType<typeof newStarter>>;
  const url = () => `http://127.0.0.1:${port}`;

  const handToAgent = async (job: { id: string; nonce: string }, pin?: string) => {
    const res = await fetch(`http://127.0.0.1:${localPort}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url() },
      body: JSON.stringify({
        jobId: job.id,
        nonce: job.nonce,
        reader,
        ...(pin ? { pin, pinConfirmation: pin } : {}),
      }),
    });
    expect(res.status, `${await res.clone().text()} ${agentLog}`).toBe(202);
  };
  const ended = async (who: SignedIn, id: string) => {
    let view: { state: string; failure: string | null; systems: string[] } | undefined;
    await waitFor(
      async () => {
        view = (await (
          await t.app.request(`/api/card-jobs/${id}`, { headers: who.headers })
        ).json()) as typeof view;
        return view?.state === 'succeeded' || view?.state === 'failed';
      },
      'the job to end',
      60_000,
    );
    return view as NonNullable<typeof view>;
  };

  beforeAll(async () => {
    pcscd = await startPcscd();
    smtp = await startSmtpTestServer();
    t = await createTestApp('pglite', { env: { SMTP_URL: smtp.url } });
    await seedDemoMorning(t);
    holder = await newStarter(t, 'Kofi', 'RWG01', {
      username: 'kofi.self',
      password: 'a-long-passphrase-2',
    });
    serial = (await stockSerials(t))[0] ?? '';
    await new Promise<void>((done) => {
      http = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        port = (info as AddressInfo).port;
        done();
      });
    });
    dir = mkdtempSync(join(tmpdir(), 'ra-self-unlock-'));
    const profilePath = join(dir, 'card.json');
    const profile = blankProfile('00beef01');
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
      body: JSON.stringify({ name: 'RA desk (self-service)', odsCode: 'RWG01' }),
    });
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
    const config = join(dir, 'agent.json');
    const enrolled = await tool(process.execPath, [
      '--import',
      'tsx',
      'reader/cli.ts',
      'enrol',
      '--server',
      url(),
      '--code',
      enrolment.code,
      '--config',
      config,
    ]);
    expect(enrolled.code, enrolled.out).toBe(0);
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
    const portLine = /on http:\/\/127\.0\.0\.1:(\d+)\/cards/;
    await waitFor(() => portLine.test(agentLog), 'the agent to answer on loopback', 30_000);
    localPort = Number(portLine.exec(agentLog)?.[1]);
    const status = (await (
      await fetch(`http://127.0.0.1:${localPort}/status`, { headers: { origin: url() } })
    ).json()) as {
      workstation: { id: string };
    };
    workstationId = status.workstation.id;
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
    await smtp?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issued locked at the desk, the holder sets their PIN with the emailed code; the code works once', async () => {
    const raAgent = await t.login('agent');
    const made = await t.app.request('/api/card-jobs', {
      method: 'POST',
      headers: raAgent.headers,
      body: JSON.stringify({
        kind: 'issue',
        cardSerial: serial,
        workstationId,
        personId: holder.id,
        issuedLocked: true,
      }),
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const issue = (await made.json()) as { id: string; nonce: string };
    await handToAgent(issue);
    const issued = await ended(raAgent, issue.id);
    expect(issued.state, `${issued.failure}\n${agentLog}`).toBe('succeeded');
    const [row] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(row?.state).toBe('issued_locked');

    // The holder, signed in at their own desk, asks for a code: it arrives at their work email.
    const kofi = await t.login('kofi.self', 'a-long-passphrase-2');
    const asked = await t.app.request('/api/me/unlock-codes', {
      method: 'POST',
      headers: kofi.headers,
      body: '{}',
    });
    expect(asked.status, await asked.clone().text()).toBe(202);
    await waitFor(() => smtp.received.length > 0, 'the code to arrive by email');
    const mail = smtp.received.at(-1);
    expect(mail?.to).toEqual([holder.email]);
    const code = codeIn(mail?.raw ?? '');

    const pin = '864209';
    const unlock = await t.app.request('/api/card-jobs', {
      method: 'POST',
      headers: kofi.headers,
      body: JSON.stringify({ kind: 'unlock', cardSerial: serial, workstationId, code }),
    });
    expect(unlock.status, await unlock.clone().text()).toBe(201);
    const job = (await unlock.json()) as { id: string; nonce: string; selfService: boolean };
    expect(job.selfService).toBe(true);
    await handToAgent(job, pin);
    const done = await ended(kofi, job.id);
    expect(done.state, `${done.failure}\n${agentLog}`).toBe('succeeded');
    // The page tells them which systems they can use again.
    expect(done.systems.length).toBeGreaterThan(0);
    const [after] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(after?.state).toBe('active');
    expect((await piv('-a', 'verify-pin', '-P', pin)).code).toBe(0);
    expect(agentLog).not.toContain(pin);
    expect(agentLog).not.toContain(code);

    // The code is spent.
    const again = await t.app.request('/api/card-jobs', {
      method: 'POST',
      headers: kofi.headers,
      body: JSON.stringify({ kind: 'unlock', cardSerial: serial, workstationId, code }),
    });
    expect(again.status).toBe(400);
    expect(JSON.stringify(await again.json())).toMatch(/code/);
  }, 180_000);
});
