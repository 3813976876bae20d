import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import { databaseUrl } from '../support/database-templates.ts';
import { type SmtpTestServer, startSmtpTestServer } from '../support/smtp-test-server.ts';
import { testLogDir } from '../support/test-logs.ts';
import { waitFor } from '../support/wait-for.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

interface ServerProcess {
  base: string;
  child: ChildProcess;
  output: () => string;
}

/** `server/main.ts` as `npm start` runs it, on the given PostgreSQL, answering on its own port. */
async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  await waitFor(
    async () => child.exitCode !== null || (await fetch(`${base}/api/health`)).ok,
    `${base}/api/health to answer`,
    { timeoutMs: 120_000, intervalMs: 250 },
  ).catch((err) => {
    throw new Error(`${(err as Error).message}\nThe server printed:\n${output}`);
  });
  if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
  return { base, child, output: () => output };
}

async function stopServer(server: ServerProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!server) return;
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }
  appendFileSync(join(testLogDir(), `several-processes-${process.pid}.log`), server.output());
}

interface Session {
  cookie: string;
  csrfToken: string;
}

async function signIn(base: string, username: string): Promise<Session> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: demoPassword }),
  });
  if (res.status !== 200) throw new Error(`sign-in ${username}: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}

function runNow(base: string, who: Session, job: string) {
  return fetch(`${base}/api/background/jobs/${job}/runs`, {
    method: 'POST',
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken },
  });
}

/**
 * Two real server processes on one PostgreSQL, as `npm start` runs several behind a load
 * balancer: a session made by one is honoured by the other, and the expiry scan run by both
 * at once sends each notice once, because the unique (recipient, day, kind) key and the
 * claim on each notification are in the database, not in either process.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
describe.each(adminUrl ? [adminUrl] : [])('two server processes on one PostgreSQL', (admin) => {
  const name = `ra_procs_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  let sql: postgres.Sql;
  let smtp: SmtpTestServer;
  let one: ServerProcess | undefined;
  let two: ServerProcess | undefined;
  const dataDirs: string[] = [];

  const env = () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ra-procs-'));
    dataDirs.push(dataDir);
    return {
      DATABASE_URL: databaseUrl(admin, name),
      DOCUMENT_HASH_KEY: 'procs-test-document-hash-key-0123456789',
      AUDIT_KEY: 'procs-test-audit-key-0123456789abcdef',
      CA_KEY_PASSPHRASE: 'procs-test-ca-passphrase',
      DEMO_DATA: 'true',
      SMTP_URL: smtp.url,
      SMTP_TIMEOUT_SECONDS: '5',
      DATA_DIR: dataDir,
    };
  };

  /** People whose cards expire in 30 days (less an hour), at RWG01, where the demo sponsor is. */
  async function expiringHolders(count: number, tag: string): Promise<string[]> {
    const now = new Date();
    const emails: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const given = `Holder${tag}${i}`;
      const email = `holder.${tag}.${i}@procs.example`.toLowerCase();
      const [person] = await sql<{ id: string }[]>`
        insert into people (user_id, given_name, family_name, date_of_birth, email, status,
          given_key, family_key, family_given_key, given_family_key, created_at, updated_at)
        values (${String(500000000000 + Math.floor(Math.random() * 1e11))}, ${given}, 'Expiring',
          '1990-01-01', ${email}, 'active', ${given.toLowerCase()}, 'expiring',
          ${`expiring ${given.toLowerCase()}`}, ${`${given.toLowerCase()} expiring`}, ${now}, ${now})
        returning id`;
      if (!person) throw new Error('no person');
      await sql`insert into person_organisations (person_id, ods_code) values (${person.id}, 'RWG01')`;
      await sql`
        insert into cards (serial, person_id, state, state_changed_at, expires_at, created_at, updated_at)
        values (${randomBytes(16).toString('hex')}, ${person.id}, 'active', ${now},
          ${new Date(now.getTime() + 30 * 86_400_000 - 3_600_000)}, ${now}, ${now})`;
      emails.push(email);
    }
    return emails;
  }

  beforeAll(async () => {
    // The processes serve the web app, as npm start does: build it once if this clone has none.
    execFileSync(process.execPath, ['scripts/ensure-web-build.mjs'], { stdio: 'ignore' });
    sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database ${name}`);
    await sql.end();
    sql = postgres(databaseUrl(admin, name), { max: 2, onnotice: () => {} });
    smtp = await startSmtpTestServer();
    // One after the other: the first migrates and seeds the demo, the second finds it done.
    one = await startServer(env());
    two = await startServer(env());
  }, 300_000);

  afterAll(async () => {
    await stopServer(one);
    await stopServer(two);
    await smtp?.close();
    await sql?.end();
    const dropper = postgres(admin, { max: 1, onnotice: () => {} });
    await dropper.unsafe(`drop database if exists ${name} with (force)`);
    await dropper.end();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('honours a session made by the other process', async () => {
    if (!one || !two) throw new Error('servers not started');
    const session = await signIn(one.base, 'staff');
    const me = await fetch(`${two.base}/api/me`, { headers: { cookie: session.cookie } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { account: { username: string } }).account.username).toBe('staff');
    // Signing out through the second ends it for the first too.
    const out = await fetch(`${two.base}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
    });
    expect(out.status).toBeLessThan(300);
    expect(
      (await fetch(`${one.base}/api/me`, { headers: { cookie: session.cookie } })).status,
    ).toBe(401);
  });

  it('runs the expiry scan in both at once and sends each notice once', async () => {
    if (!one || !two) throw new Error('servers not started');
    const holders = await expiringHolders(12, 'a');
    const manager = await signIn(one.base, 'manager');
    const before = smtp.received.length;
    const [a, b] = await Promise.all([
      runNow(one.base, manager, 'expiry-scan'),
      runNow(two.base, manager, 'expiry-scan'),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const runs = [(await a.json()) as { process: string }, (await b.json()) as { process: string }];
    expect(new Set(runs.map((r) => r.process)).size).toBe(2);

    const mails = smtp.received.slice(before);
    const perAddress = new Map<string, number>();
    for (const m of mails) for (const to of m.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    for (const holder of holders) expect(perAddress.get(holder), holder).toBe(1);
    // The demo sponsor of RWG01 gets one digest naming all twelve.
    expect(perAddress.get('sam.sponsor@demo.nhs.example')).toBe(1);
    expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
    const [sent] = await sql<{ n: number }[]>`
      select count(*)::int as n from notifications where status = 'sent'`;
    expect(mails.length).toBe(sent?.n);

    // Both runs are recorded, each by its own process, and a manager sees them through either.
    const listed = await fetch(`${two.base}/api/background/runs?job=expiry-scan`, {
      headers: { cookie: manager.cookie },
    });
    const body = (await listed.json()) as { runs: { process: string; outcome: string }[] };
    expect(body.runs.filter((r) => r.outcome === 'succeeded').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('runs each scheduled tick once, in one process or the other', async () => {
    // send-mail is scheduled every minute in both processes; pg-boss makes one job a tick.
    const scheduled = () =>
      sql<{ minute: string; runs: number }[]>`
        select date_trunc('minute', started_at)::text as minute, count(*)::int as runs
          from job_runs where job = 'send-mail' and trigger = 'schedule'
         group by 1 order by 1`;
    await waitFor(async () => (await scheduled()).length >= 2, 'two ticks of send-mail', {
      timeoutMs: 150_000,
      intervalMs: 1000,
    });
    expect((await scheduled()).every((m) => m.runs === 1)).toBe(true);
  }, 180_000);

  it('sends nothing twice when a process is killed while sending', async () => {
    if (!one || !two) throw new Error('servers not started');
    const holders = await expiringHolders(4, 'b');
    const manager = await signIn(two.base, 'manager');
    // The mail server accepts the connection and never answers: the first send hangs.
    smtp.setMode('silent');
    const before = smtp.received.length;
    runNow(one.base, manager, 'expiry-scan').catch(() => {});
    await waitFor(
      async () => (await sql`select 1 from notifications where status = 'sending'`).length === 1,
      'a notification being sent by the first process',
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    await stopServer(one, 'SIGKILL');
    one = undefined;

    smtp.setMode('accept');
    const again = await runNow(two.base, manager, 'expiry-scan');
    expect(again.status).toBe(200);
    const mails = smtp.received.slice(before);
    const to = mails.flatMap((m) => m.to);
    // The three the killed process had not reached go once each; the one it was sending
    // when it died is not sent again (the mail server may have had it), and says so later.
    expect(to.filter((a) => holders.includes(a)).length).toBe(3);
    expect(new Set(to).size).toBe(to.length);
    const [stuck] = await sql<{ to_address: string; status: string }[]>`
      select to_address, status from notifications where to_address like 'holder.b.%'
        and status = 'sending'`;
    expect(stuck && holders.includes(stuck.to_address)).toBe(true);
    expect(to).not.toContain(stuck?.to_address);
  }, 120_000);
});
