/**
 * npm run bench:import — times an ESR import of ROWS staff records (default 100,000) against
 * a plain COPY of the same CSV into a scratch table, on PostgreSQL: the import is the
 * upload's dry run (streamed, parsed, every row planned and staged) and then applying it in
 * batches (every row creates a person, pending their identity check), as the server does.
 * It prints both times and their ratio (target: the import within 3 times the COPY); it
 * does not fail on them.
 *
 * It uses its own database, `importbench` (dropped and created afresh) on the server of
 * BENCH_DATABASE_URL, or else TEST_DATABASE_URL, or else postgres://postgres@127.0.0.1:5432;
 * never the database those URLs name. BATCH sets the apply batch size (default the server's, 2000).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase } from '../../db/client.ts';
import { accounts } from '../../db/schema/accounts.ts';
import { deriveAuditKeys } from '../../server/services/audit/audit-keys.ts';
import { actorOf } from '../../server/services/auth/sessions.ts';
import type { ServiceContext } from '../../server/services/context.ts';
import { seedDemo } from '../../server/services/demo/seed-demo.ts';
import {
  defaultBatchSize,
  startImportApply,
} from '../../server/services/imports/apply-import-batch.ts';
import { checkEsrImport } from '../../server/services/imports/check-esr-import.ts';
import { esrColumns } from '../../server/services/imports/esr-rows.ts';
import { runImport } from '../../server/services/imports/run-import.ts';

const rows = Number(process.env.ROWS ?? 100_000);
const batchSize = Number(process.env.BATCH ?? defaultBatchSize);
const server = new URL(
  process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres',
);
const benchDb = 'importbench';

const families = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Patel', 'Okafor'];
const givens = ['Amelia', 'Oliver', 'Isla', 'George', 'Ava', 'Noah', 'Priya', 'Chidi', 'Zoë'];
// The demo trust's positions by site and job role (server/services/demo/seed-demo.ts).
const placements = [
  ['RWG01', 'R8001'],
  ['RWG01', 'R8000'],
  ['RWG01', 'R8010'],
  ['RWG02', 'R8009'],
];

/** The CSV, in 64 KiB chunks as an upload arrives (held here, so reading it costs nothing). */
function staffFile(): Buffer[] {
  const lines = [esrColumns.join(',')];
  for (let i = 0; i < rows; i++) {
    const family = families[i % families.length];
    const given = givens[(i * 7) % givens.length];
    const [ods, role] = placements[i % placements.length] ?? ['RWG01', 'R8001'];
    const year = 1960 + (i % 45);
    const month = String(1 + (i % 12)).padStart(2, '0');
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(
      `${String(10_000_000 + i)},${family},${given},${year}-${month}-${day},${given?.toLowerCase()}.${family?.toLowerCase()}${i}@nhs.example,${ods},${role},2024-04-01,`,
    );
  }
  const whole = Buffer.from(`${lines.join('\n')}\n`);
  const chunks: Buffer[] = [];
  for (let at = 0; at < whole.length; at += 64 * 1024)
    chunks.push(whole.subarray(at, at + 64 * 1024));
  return chunks;
}

async function freshDatabase(): Promise<string> {
  const admin = new URL(server);
  admin.pathname = '/postgres';
  const sqlAdmin = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await sqlAdmin.unsafe(`drop database if exists ${benchDb} with (force)`);
  await sqlAdmin.unsafe(`create database ${benchDb}`);
  await sqlAdmin.end();
  const url = new URL(server);
  url.pathname = `/${benchDb}`;
  return url.toString();
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  const url = await freshDatabase();
  const handle = await openDatabase({ driver: 'postgres', url });
  await handle.migrate();
  const base: ServiceContext = {
    db: handle.db,
    actor: null,
    requestId: null,
    address: null,
    now: () => new Date(),
    auditKeys: deriveAuditKeys(randomBytes(32).toString('base64url')),
  };
  await seedDemo(base);
  const [manager] = await handle.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(eq(accounts.username, 'manager'));
  if (!manager) throw new Error('the demo has no manager');
  const ctx = { ...base, actor: await actorOf(base, manager.id, 'manager') };
  const file = staffFile();
  const bytes = file.reduce((n, c) => n + c.length, 0);
  console.log(
    `PostgreSQL database ${benchDb}: ${rows.toLocaleString('en-GB')} rows, ${(bytes / 1024 / 1024).toFixed(1)} MiB of CSV`,
  );

  // The plain COPY of the same bytes into a table of nine text columns.
  const copyClient = postgres(url, { max: 1, onnotice: () => {} });
  await copyClient.unsafe(
    `create table esr_scratch (${esrColumns.map((c) => `${c} text`).join(', ')})`,
  );
  let started = performance.now();
  const writable =
    await copyClient`copy esr_scratch from stdin with (format csv, header true)`.writable();
  await pipeline(Readable.from(file), writable);
  const copyMs = performance.now() - started;
  const [copied] = await copyClient`select count(*)::int as n from esr_scratch`;
  await copyClient.end();
  console.log(`COPY into a scratch table: ${seconds(copyMs)} (${copied?.n} rows)`);

  started = performance.now();
  const view = await checkEsrImport(ctx, {
    fileName: 'bench.csv',
    body: Readable.from(file),
    maxBytes: 1024 * 1024 * 1024,
  });
  const dryMs = performance.now() - started;
  console.log(
    `dry run (stream, parse, plan, stage): ${seconds(dryMs)} ${JSON.stringify(view.planned)}`,
  );
  started = performance.now();
  await startImportApply(ctx, view.id);
  await runImport(ctx, view.id, { batchSize });
  const applyMs = performance.now() - started;
  const [made] = (await handle.db.execute(
    sql`select count(*)::int as n from people where employee_number is not null`,
  )) as unknown as { n: number }[];
  console.log(`apply in batches of ${batchSize}: ${seconds(applyMs)} (${made?.n} people created)`);
  const importMs = dryMs + applyMs;
  console.log(
    `ESR import ${seconds(importMs)} against COPY ${seconds(copyMs)}: ${(importMs / copyMs).toFixed(1)}× (target within 3×)`,
  );
  await handle.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
