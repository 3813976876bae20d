import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import { opensslWorkbench } from '../support/openssl.ts';
import { testLogDir } from '../support/test-logs.ts';
import { waitFor } from '../support/wait-for.ts';

/** What a server printed joins the test apps' logs, for the run's check for personal data. */
function keepOutput(output: string) {
  appendFileSync(join(testLogDir(), `start-${process.pid}.log`), output);
}

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

async function waitForHealth(base: string, child: ChildProcess, output: () => string) {
  await waitFor(
    async () => child.exitCode !== null || (await fetch(`${base}/api/health`)).ok,
    `${base}/api/health to answer`,
    { timeoutMs: 90_000, intervalMs: 250 },
  ).catch((err) => {
    throw new Error(`${(err as Error).message}\nThe server printed:\n${output()}`);
  });
  if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
}

/** `npm start` exactly as the README gives it: embedded database, demo data, the web app. */
describe('npm start', () => {
  let child: ChildProcess;
  let base: string;
  let output = '';
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ra-start-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn('npm', ['start'], {
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    await waitForHealth(base, child, () => output);
  }, 180_000);

  afterAll(() => {
    // npm runs the server as a child: signal the whole group.
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGTERM');
    }
    keepOutput(output);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the login page, health and the API document', async () => {
    const page = await fetch(`${base}/login`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<ra-app|Smartcard RA/);
    const health = await (await fetch(`${base}/api/health`)).json();
    expect(health).toMatchObject({ status: 'ok', database: { driver: 'pglite', status: 'ok' } });
    expect((await fetch(`${base}/api/openapi.json`)).status).toBe(200);
  });

  it('has seeded the demo accounts and a morning of work, and says so in its log', async () => {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'manager', password: demoPassword }),
    });
    expect(res.status).toBe(200);
    expect(output).toMatch(/demo data seeded/);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const flags = await (await fetch(`${base}/api/flags`, { headers: { cookie } })).json();
    expect(flags.items).toHaveLength(7);
    // The demo's CA came first: its CRL lists the lost card's and the missing card's certificates.
    const bench = opensslWorkbench('ra-start-crl-');
    const crl = await fetch(`${base}/pki/issuing.crl`);
    expect(crl.status).toBe(200);
    const read = await bench.run([
      'crl',
      '-inform',
      'DER',
      '-in',
      bench.file(new Uint8Array(await crl.arrayBuffer()), 'der'),
      '-noout',
      '-text',
    ]);
    expect(read.output.match(/Key Compromise/g)).toHaveLength(2);
    expect(read.output.match(/Certificate Hold/g)).toHaveLength(2);
    rmSync(bench.dir, { recursive: true, force: true });
  });

  it('logs each refused request with its code and request id', async () => {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": ',
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; requestId: string } };
    const logged = () =>
      output
        .split('\n')
        .some((l) => l.includes(`"requestId":"${error.requestId}"`) && l.includes(error.code));
    await expect.poll(logged, { timeout: 5_000 }).toBe(true);
  });

  it('keeps its audit key beside the data and publishes a signed checkpoint to the log', async () => {
    expect(statSync(join(dataDir, 'audit.key')).mode & 0o777).toBe(0o600);
    const line = () => output.split('\n').find((l) => l.includes('"msg":"audit checkpoint"'));
    await expect.poll(line, { timeout: 10_000 }).toBeDefined();
    const logged = JSON.parse(line() ?? '{}');
    const served = await (await fetch(`${base}/api/audit/checkpoint`)).json();
    expect(logged.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(served.keyId).toBe(logged.keyId);
    expect(output).not.toContain(readFileSync(join(dataDir, 'audit.key'), 'utf8'));
  });

  it('writes structured JSON logs without secrets', () => {
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(output).not.toContain(`"password":"${demoPassword}"`);
    expect(output).not.toContain(readFileSync(join(dataDir, 'ca-key.passphrase'), 'utf8').trim());
  });

  // Last: it stops the server above, then starts on the same data with a wrong passphrase.
  it('refuses to start with a CA passphrase that does not open the CA key, without printing it', async () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    const wrong = 'a wrong CA passphrase that must never be printed';
    const again = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: {
        ...process.env,
        PORT: String(await freePort()),
        DATA_DIR: dataDir,
        CA_KEY_PASSPHRASE: wrong,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    again.stdout?.on('data', (d) => {
      printed += d;
    });
    again.stderr?.on('data', (d) => {
      printed += d;
    });
    const code = await new Promise((r) => again.on('exit', r));
    keepOutput(printed);
    expect(code, printed).toBe(2);
    expect(printed).toMatch(/CA_KEY_PASSPHRASE: does not decrypt the stored CA private key/);
    expect(printed).not.toContain(wrong);
  });
});

/** Starts server/main.ts with `env`, waits until it answers, and gives what it printed. */
async function startServer(env: Record<string, string>) {
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
  await waitForHealth(base, child, () => output);
  const stop = async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    keepOutput(output);
  };
  return { base, output: () => output, stop };
}

// Only where a PostgreSQL server is given (as .ci/run does): the rule is about DATABASE_URL.
const adminUrl = process.env.TEST_DATABASE_URL;
describe.each(adminUrl ? [adminUrl] : [])('a database given by DATABASE_URL', (admin) => {
  const databases: string[] = [];
  const freshDatabase = async () => {
    const name = `ra_start_${Date.now().toString(36)}_${databases.length}`;
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database ${name}`);
    await sql.end();
    databases.push(name);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return url.toString();
  };
  afterAll(async () => {
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    for (const name of databases) await sql.unsafe(`drop database if exists ${name} with (force)`);
    await sql.end();
  });
  const signIn = (base: string) =>
    fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'manager', password: demoPassword }),
    });
  const key = {
    DOCUMENT_HASH_KEY: 'start-test-document-hash-key-0123456789',
    AUDIT_KEY: 'start-test-audit-key-0123456789abcdef',
  };

  it('gets no demo accounts unless DEMO_DATA=true asks for them', async () => {
    const plain = await startServer({ ...key, DATABASE_URL: await freshDatabase() });
    try {
      expect((await signIn(plain.base)).status).toBe(401);
      expect(plain.output()).not.toMatch(/demo data seeded/);
      // No SMTP_URL with a real database: codes would go nowhere near an inbox, and it says so.
      expect(plain.output()).toMatch(
        /"level":40.*SMTP_URL is not set: one-time unlock codes are written as \.eml files/,
      );
    } finally {
      await plain.stop();
    }
    const asked = await startServer({
      ...key,
      DATABASE_URL: await freshDatabase(),
      DEMO_DATA: 'true',
      CA_KEY_PASSPHRASE: 'start-test-ca-passphrase',
      SMTP_URL: 'smtp://ra:start-test-smtp-password@127.0.0.1:2525',
    });
    try {
      expect((await signIn(asked.base)).status).toBe(200);
      expect(asked.output()).toMatch(/demo data seeded/);
      expect(asked.output()).toMatch(/"host":"127\.0\.0\.1:2525".*goes through SMTP/);
      expect(asked.output()).not.toMatch(/SMTP_URL is not set|start-test-smtp-password/);
    } finally {
      await asked.stop();
    }
  }, 120_000);

  it('refuses the demo data without a CA passphrase, naming the variable, and seeds nothing', async () => {
    const url = await freshDatabase();
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, ...key, DATABASE_URL: url, DEMO_DATA: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const code = await new Promise((r) => child.on('exit', r));
    keepOutput(err);
    expect(code).toBe(2);
    expect(err).toMatch(/CA_KEY_PASSPHRASE: required for the demo data with DATABASE_URL/);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select count(*)::int as n from accounts`).toEqual([{ n: 0 }]);
    } finally {
      await sql.end();
    }
  }, 60_000);
});

describe('a wrong configuration', () => {
  it('stops at once with the variable named', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'mysql://x' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/PORT/);
    expect(err).toMatch(/DATABASE_URL: must be a postgres/);
  });

  it('stops when a database given by DATABASE_URL has no audit key', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        DOCUMENT_HASH_KEY: 'start-test-document-hash-key-0123456789',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/AUDIT_KEY: required with DATABASE_URL/);
  });
});

describe('npm start under an older Node.js', () => {
  it('refuses with a message naming the version needed, and serves nothing', async () => {
    // This machine runs Node.js 24, so the old runtime is simulated: a preload makes every
    // node process that npm starts report 20.19 as its version, the way Node.js 20 would.
    const dir = mkdtempSync(join(tmpdir(), 'ra-old-node-'));
    const preload = join(dir, 'pretend-node-20.cjs');
    writeFileSync(preload, "Object.defineProperty(process, 'version', { value: 'v20.19.0' });\n");
    const port = await freePort();
    try {
      const child = spawn('npm', ['start'], {
        env: { ...process.env, PORT: String(port), NODE_OPTIONS: `--require ${preload}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (d) => {
        output += d;
      });
      child.stderr?.on('data', (d) => {
        output += d;
      });
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).not.toBe(0);
      expect(output).toContain(
        'Smartcard RA needs Node.js 24 LTS or newer; this is Node.js v20.19.0.',
      );
      await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
