/**
 * npm run bench:import — times an ESR import of ROWS staff records (default 100,000) against
 * two plain COPYs, on PostgreSQL: the import is the upload's dry run (streamed, parsed, every
 * row planned and staged) and then applying it in batches (every row creates a person,
 * pending their identity check), as the server does. The baselines:
 *
 * - the CSV's bytes COPYed into a scratch table of nine text columns (no index): the cost of
 *   getting the bytes into PostgreSQL at all;
 * - the same records COPYed where the import puts them: people rows as the import makes them
 *   (user ID, names, name keys, organisation codes, date of birth, email, employee number,
 *   pending, timestamps) and their person_organisations rows, into copies of those two tables
 *   made `like … including all` (every index, check and default of production) with
 *   production's foreign keys and triggers, in a scratch schema dropped afterwards. The rows
 *   are made before the clock starts.
 *
 * It prints the times and both ratios (target: the import within 3 times the COPY); it does
 * not fail on them.
 *
 * It uses its own database, `importbench` (dropped and created afresh) on the server of
 * BENCH_DATABASE_URL, or else TEST_DATABASE_URL, or else postgres://postgres@127.0.0.1:5432;
 * never the database those URLs name. BATCH sets the apply batch size (default the server's, 2000).
 */
import { randomBytes, randomUUID } from 'node:crypto';
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
import { nameKeys } from '../../server/services/people/name-keys.ts';

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

/** The i-th staff record, as the file's nine fields. */
function staffRecord(i: number) {
  const family = families[i % families.length] ?? 'Smith';
  const given = givens[(i * 7) % givens.length] ?? 'Amelia';
  const [ods, role] = placements[i % placements.length] ?? ['RWG01', 'R8001'];
  const year = 1960 + (i % 45);
  const month = String(1 + (i % 12)).padStart(2, '0');
  const day = String(1 + (i % 28)).padStart(2, '0');
  return {
    employeeNumber: String(10_000_000 + i),
    family,
    given,
    dateOfBirth: `${year}-${month}-${day}`,
    email: `${given.toLowerCase()}.${family.toLowerCase()}${i}@nhs.example`,
    ods,
    role,
    startDate: '2024-04-01',
  };
}

/** `text` split in 64 KiB chunks, as an upload arrives (held here, so reading costs nothing). */
function chunked(text: string): Buffer[] {
  const whole = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < whole.length; at += 64 * 1024)
    chunks.push(whole.subarray(at, at + 64 * 1024));
  return chunks;
}

/** The CSV file. */
function staffFile(): Buffer[] {
  const lines = [esrColumns.join(',')];
  for (let i = 0; i < rows; i++) {
    const r = staffRecord(i);
    lines.push(
      `${r.employeeNumber},${r.family},${r.given},${r.dateOfBirth},${r.email},${r.ods},${r.role},${r.startDate},`,
    );
  }
  return chunked(`${lines.join('\n')}\n`);
}

/** The columns of people the import fills in, and of person_organisations. */
const peopleColumns = [
  'id',
  'user_id',
  'given_name',
  'family_name',
  'date_of_birth',
  'email',
  'employee_number',
  'given_key',
  'family_key',
  'family_given_key',
  'given_family_key',
  'org_codes',
  'status',
  'created_at',
  'created_by',
  'updated_at',
];

/** The same records as the rows the import writes: people, then person_organisations (CSV). */
function landedRows(createdBy: string): { people: Buffer[]; organisations: Buffer[] } {
  const now = new Date().toISOString();
  const people: string[] = [];
  const organisations: string[] = [];
  for (let i = 0; i < rows; i++) {
    const r = staffRecord(i);
    const id = randomUUID();
    const k = nameKeys(r.given, r.family);
    people.push(
      [
        id,
        String(100_000_000_000 + i),
        r.given,
        r.family,
        r.dateOfBirth,
        r.email,
        r.employeeNumber,
        k.givenKey,
        k.familyKey,
        k.familyGivenKey,
        k.givenFamilyKey,
        `{${r.ods}}`,
        'pending_id_check',
        now,
        createdBy,
        now,
      ].join(','),
    );
    organisations.push(`${id},${r.ods}`);
  }
  return {
    people: chunked(`${people.join('\n')}\n`),
    organisations: chunked(`${organisations.join('\n')}\n`),
  };
}

/**
 * COPYs the records into copies of people and person_organisations (every index, check,
 * default and foreign key of production) in a scratch schema, then drops it: the time of
 * the two COPYs.
 */
async function copyWhereTheyLand(url: string, createdBy: string): Promise<number> {
  const landed = landedRows(createdBy);
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client.unsafe('create schema bench_copy');
    for (const table of ['people', 'person_organisations']) {
      await client.unsafe(`create table bench_copy.${table} (like public.${table} including all)`);
    }
    const keys = await client<{ table: string; def: string }[]>`
      select c.conrelid::regclass::text as table, pg_get_constraintdef(c.oid) as def
        from pg_constraint c
       where c.contype = 'f'
         and c.conrelid in ('public.people'::regclass, 'public.person_organisations'::regclass)`;
    // Read with public first on the path, the definitions name tables unqualified; with the
    // scratch schema first, each foreign key then points at bench_copy.people, and at
    // public's other tables.
    await client.unsafe('set search_path = bench_copy, public');
    for (const k of keys) {
      const table = k.table.replace(/^public\./, '');
      await client.unsafe(`alter table bench_copy.${table} add ${k.def}`);
    }
    // And their triggers (people.org_codes and the card tallies kept from the links), which
    // a COPY into production's tables fires too. Their functions name tables unqualified, so
    // on this path they keep the scratch tables' codes.
    const triggers = await client<{ def: string }[]>`
      select pg_get_triggerdef(t.oid) as def
        from pg_trigger t
       where not t.tgisinternal
         and t.tgrelid in ('public.people'::regclass, 'public.person_organisations'::regclass)`;
    for (const t of triggers) {
      await client.unsafe(t.def.replace(/ ON public\./, ' ON bench_copy.'));
    }
    const started = performance.now();
    const intoPeople = await client
      .unsafe(`copy bench_copy.people (${peopleColumns.join(', ')}) from stdin with (format csv)`)
      .writable();
    await pipeline(Readable.from(landed.people), intoPeople);
    const intoOrganisations = await client
      .unsafe(
        'copy bench_copy.person_organisations (person_id, ods_code) from stdin with (format csv)',
      )
      .writable();
    await pipeline(Readable.from(landed.organisations), intoOrganisations);
    const ms = performance.now() - started;
    const [n] = await client`select count(*)::int as n from bench_copy.people`;
    if (n?.n !== rows) throw new Error(`the COPY into people made ${n?.n} rows, not ${rows}`);
    return ms;
  } finally {
    await client.unsafe('drop schema if exists bench_copy cascade');
    await client.end();
  }
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
  await copyClient.unsafe('drop table esr_scratch');
  await copyClient.end();
  console.log(
    `COPY into a scratch table of nine text columns: ${seconds(copyMs)} (${copied?.n} rows)`,
  );
  const landMs = await copyWhereTheyLand(url, manager.id);
  console.log(
    `COPY into people and person_organisations (production's indexes, keys and triggers): ${seconds(landMs)}`,
  );

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
    `ESR import ${seconds(importMs)} against COPY into a scratch table ${seconds(copyMs)}: ${(importMs / copyMs).toFixed(1)}×`,
  );
  console.log(
    `ESR import ${seconds(importMs)} against COPY into people and person_organisations ${seconds(landMs)}: ${(importMs / landMs).toFixed(1)}× (target within 3×)`,
  );
  await handle.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
