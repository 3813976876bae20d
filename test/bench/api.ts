/**
 * `npm run bench:api`: the API at national scale. Starts the server (server/main.ts, as
 * `npm start` does) on the database `npm run seed:scale` filled, signs in as an RA manager of
 * the largest trust, the national RA manager, a sponsor and an LSA, and measures through HTTP
 * with several concurrent clients the p50 and p95 of each endpoint below, then the write
 * rate (people edited a second, every change recorded on the audit chain, whose lock makes
 * writers take turns). It prints figures against the target (p95 < 50 ms); it does not fail.
 *
 *   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/scale), AUDIT_KEY (as the
 *   seed had it), CLIENTS (4), REQUESTS per endpoint (60), MAX_SECONDS per endpoint (30),
 *   WRITE_SECONDS (10), ONLY (a substring of the endpoints to run), WARM_UP_ROUNDS (2: untimed
 *   rounds of every client at once before each endpoint's clock starts)
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { scalePassword } from '../../server/cli/scale/scale-password.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/scale';
const auditKey = process.env.AUDIT_KEY;
const clients = Number(process.env.CLIENTS ?? 4);
const requestsPerEndpoint = Number(process.env.REQUESTS ?? 60);
const maxSeconds = Number(process.env.MAX_SECONDS ?? 30);
const writeSeconds = Number(process.env.WRITE_SECONDS ?? 10);
const only = process.env.ONLY;
const warmUpRounds = Number(process.env.WARM_UP_ROUNDS ?? 2);
const target = 50;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

interface Session {
  name: string;
  cookie: string;
  csrf: string;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function main() {
  if (!auditKey) {
    console.error('Set AUDIT_KEY to the key the seed used (npm run seed:scale).');
    process.exit(2);
  }
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const [size] = await sql<{ people: number; cards: number; events: number }[]>`
    select (select reltuples::bigint from pg_class where relname = 'people') as people,
           (select reltuples::bigint from pg_class where relname = 'cards') as cards,
           (select reltuples::bigint from pg_class where relname = 'audit_events') as events`;
  const [largest] = await sql<{ ods: string; n: number }[]>`
    select po.ods_code as ods, count(*)::int as n from person_organisations po
    join organisations o on o.ods_code = po.ods_code and o.parent_ods_code is null
    group by po.ods_code order by n desc limit 1`;
  if (!largest) throw new Error('the database holds no people: run npm run seed:scale first');
  const ods = largest.ods;
  const sample = await sql<{ id: string; userId: string }[]>`
    select p.id, p.user_id as "userId" from people p
    join person_organisations po on po.person_id = p.id and po.ods_code = ${ods}
    where p.status = 'active' and p.id > gen_random_uuid() limit 200`;
  await sql.end();
  console.log(
    `Database: ~${size?.people} people, ~${size?.cards} cards, ~${size?.events} audit events; the manager's trust ${ods} has ${largest.n} people.`,
  );

  // As `npm start`: the server serves the web app, so it must be built.
  await new Promise<void>((resolve, reject) =>
    spawn(process.execPath, ['scripts/ensure-web-build.mjs'], { cwd: root, stdio: 'inherit' }).on(
      'exit',
      (code) => (code === 0 ? resolve() : reject(new Error('the web app did not build'))),
    ),
  );
  const port = await freePort();
  const server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      AUDIT_KEY: auditKey,
      DOCUMENT_HASH_KEY:
        process.env.DOCUMENT_HASH_KEY ?? 'bench-document-hash-key-0123456789abcdef',
      DEMO_DATA: 'false',
      LOG_LEVEL: 'warn',
      PORT: String(port),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const up = await fetch(`${base}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline || server.exitCode !== null)
        throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 500));
    }

    const signIn = async (name: string, username: string): Promise<Session> => {
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base },
        body: JSON.stringify({ username, password: scalePassword }),
      });
      if (!res.ok)
        throw new Error(`${username} could not sign in: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { csrfToken: string };
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      return { name, cookie, csrf: body.csrfToken };
    };
    const lower = ods.toLowerCase();
    const manager = await signIn('manager', `ra-manager.${lower}`);
    const national = await signIn('national', 'national');
    const sponsor = await signIn('sponsor', `sponsor.${lower}`);
    const lsa = await signIn('lsa', `lsa.${lower}`);

    let turn = 0;
    const next = <T>(list: T[]): T => list[turn++ % list.length] as T;
    const person = () => next(sample);
    const endpoints: { name: string; as: Session; path: () => string }[] = [
      { name: 'dashboard counts', as: manager, path: () => '/api/dashboard' },
      { name: 'dashboard counts', as: national, path: () => '/api/dashboard' },
      { name: 'expiring within 30 days', as: manager, path: () => '/api/cards?expiry=30' },
      { name: 'expiring within 30 days', as: national, path: () => '/api/cards?expiry=30' },
      { name: 'people search "smi"', as: manager, path: () => '/api/people?q=smi' },
      { name: 'people search "smi"', as: national, path: () => '/api/people?q=smi' },
      { name: 'people search "jo smi"', as: lsa, path: () => '/api/people?q=jo%20smi' },
      {
        name: 'people search by user ID',
        as: manager,
        path: () => `/api/people?q=${person().userId}`,
      },
      { name: "a person's page", as: manager, path: () => `/api/people/${person().id}` },
      {
        name: "a person's requests",
        as: manager,
        path: () => `/api/requests?view=inbox&personId=${person().id}`,
      },
      { name: 'card flags', as: manager, path: () => '/api/flags' },
      { name: 'card flags', as: national, path: () => '/api/flags' },
      { name: 'card flags', as: sponsor, path: () => '/api/flags' },
      { name: 'positions list', as: manager, path: () => '/api/positions' },
      { name: 'positions of the trust', as: manager, path: () => `/api/positions?odsCode=${ods}` },
      {
        name: 'requests inbox',
        as: sponsor,
        path: () => '/api/requests?view=inbox&status=open&limit=50',
      },
      {
        name: 'requests inbox',
        as: manager,
        path: () => '/api/requests?view=inbox&status=open&limit=50',
      },
      { name: 'worklist', as: sponsor, path: () => '/api/worklist' },
      { name: 'worklist', as: manager, path: () => '/api/worklist' },
      { name: 'audit first page', as: national, path: () => '/api/audit' },
      { name: 'report: cards by state', as: manager, path: () => '/api/reports/cards-by-state' },
      { name: 'report: cards by state', as: national, path: () => '/api/reports/cards-by-state' },
      {
        name: 'report: expiring by week',
        as: manager,
        path: () => '/api/reports/expiring-by-week',
      },
      {
        name: 'report: requests by month',
        as: manager,
        path: () => '/api/reports/requests-by-month',
      },
      {
        name: 'report: unlocks by month',
        as: manager,
        path: () => '/api/reports/unlocks-by-month',
      },
      { name: 'report: system access', as: manager, path: () => '/api/reports/system-access' },
      {
        name: 'report: positions ending',
        as: manager,
        path: () => '/api/reports/positions-ending',
      },
    ];

    const call = async (as: Session, path: string, init: RequestInit = {}) => {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, {
        ...init,
        headers: {
          cookie: as.cookie,
          origin: base,
          'x-csrf-token': as.csrf,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });
      await res.arrayBuffer();
      const ms = performance.now() - started;
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} as ${as.name}: ${res.status}`);
      return ms;
    };

    console.log(
      `\n${clients} clients, up to ${requestsPerEndpoint} requests or ${maxSeconds} s per endpoint; target p95 < ${target} ms\n`,
    );
    console.log(
      `${'endpoint'.padEnd(34)}${'as'.padEnd(10)}${'n'.padStart(5)}${'p50 ms'.padStart(10)}${'p95 ms'.padStart(10)}  target`,
    );
    const rows: string[] = [];
    for (const e of endpoints) {
      if (only && !e.name.includes(only)) continue;
      // Warm-up, not timed: two rounds of every client at once, so that each of the server's
      // pooled connections has run the endpoint's queries before the clock starts. A
      // PostgreSQL backend's first read of each shared buffer page faults it into that
      // process; on a virtual machine that fault is dear (up to 70 ms for a query's first
      // run on a connection), and one cold connection out of four put its first requests in
      // every p95 of 60. A long-running server's pooled connections are past that.
      for (let round = 0; round < warmUpRounds; round++) {
        await Promise.all(Array.from({ length: clients }, () => call(e.as, e.path())));
      }
      const times: number[] = [];
      const stopAt = performance.now() + maxSeconds * 1000;
      let issued = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (issued < requestsPerEndpoint && performance.now() < stopAt) {
            issued++;
            times.push(await call(e.as, e.path()));
          }
        }),
      );
      times.sort((a, b) => a - b);
      const p95 = quantile(times, 0.95);
      const line = `${e.name.padEnd(34)}${e.as.name.padEnd(10)}${String(times.length).padStart(5)}${quantile(times, 0.5).toFixed(1).padStart(10)}${p95.toFixed(1).padStart(10)}  ${p95 < target ? 'met' : 'MISSED'}`;
      console.log(line);
      rows.push(line);
    }

    if (!only || 'writes'.includes(only)) {
      // Writes: each client edits people of the trust (a phone number), each edit one
      // transaction with its audit event, so every writer waits for the chain's lock.
      const times: number[] = [];
      const stopAt = performance.now() + writeSeconds * 1000;
      const started = performance.now();
      let n = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (performance.now() < stopAt) {
            const phone = `07${String(700_000_000 + (n++ % 299_999_999)).padStart(9, '0')}`;
            times.push(
              await call(manager, `/api/people/${person().id}`, {
                method: 'PATCH',
                body: JSON.stringify({ phone }),
              }),
            );
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      times.sort((a, b) => a - b);
      console.log(
        `\nwrites (person edited, audited): ${times.length} in ${seconds.toFixed(1)} s = ${(times.length / seconds).toFixed(0)} changes/s with ${clients} writers; p50 ${quantile(times, 0.5).toFixed(1)} ms, p95 ${quantile(times, 0.95).toFixed(1)} ms`,
      );
    }
  } finally {
    server.kill('SIGTERM');
  }
}

await main();
