import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;

/**
 * What services receive: the database or a transaction, whichever driver is underneath.
 * PGlite and postgres.js share this type, so the same code serves both.
 */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export type DriverName = 'pglite' | 'postgres';

export interface DatabaseHandle {
  db: Database;
  driver: DriverName;
  /**
   * Applies every committed migration that this database has not seen yet (as the owner,
   * when an owner URL was given, who then grants the app role what it needs).
   */
  migrate(): Promise<void>;
  /**
   * What is unsafe about the role the app connects as: it owns the tables (and so can
   * switch the audit trail's triggers off) or is a superuser. Empty when all is well.
   */
  roleWarnings(): Promise<string[]>;
  /** The embedded database itself (PGlite only): the job queue shares its one connection. */
  pglite?: PGlite;
  /** The PostgreSQL URL the app connects with (postgres only): the job queue opens its own pool. */
  url?: string;
  close(): Promise<void>;
}

export type OpenDatabaseOptions =
  | {
      driver: 'postgres';
      url: string;
      /** The tables' owner: migrations run as it, then it grants the role of `url`. */
      ownerUrl?: string | undefined;
      maxConnections?: number;
    }
  /**
   * `dataDir` undefined keeps the database in memory (tests); `loadDataDir` starts it from a
   * copy of another PGlite's data directory (its `dumpDataDir()`), as the tests' template.
   */
  | { driver: 'pglite'; dataDir?: string; loadDataDir?: Blob };

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Opens PostgreSQL through postgres.js, or the embedded PGlite. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.driver === 'postgres') {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
    });
    const db = drizzlePostgres(client, { schema });
    const { ownerUrl } = options;
    return {
      db: db as unknown as Database,
      driver: 'postgres',
      url: options.url,
      migrate: ownerUrl
        ? () => migrateAsOwner(ownerUrl, client)
        : () => migratePostgres(db, { migrationsFolder }),
      roleWarnings: () => roleWarnings(client),
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = new PGlite({
    // Trigram indexes (people search: a word inside a name), as on PostgreSQL's contrib.
    extensions: { pg_trgm },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  await client.waitReady;
  const db = drizzlePglite(client, { schema });
  return {
    db: db as unknown as Database,
    driver: 'pglite',
    migrate: () => migratePglite(db, { migrationsFolder }),
    // The embedded database has one user, inside this process: there is no other role.
    roleWarnings: async () => [],
    pglite: client,
    close: () => client.close(),
  };
}

/** Tables the app may only read and append to: the audit trail and its checkpoints. */
const appendOnlyTables = ['audit_events', 'audit_checkpoints'];

/**
 * Migrates as the owner, then grants the app's role (the user of the app's own connection)
 * what it needs and no more: data in every table, but on the append-only tables only
 * SELECT and INSERT. The app's role owns nothing, so it cannot alter or disable triggers.
 */
async function migrateAsOwner(ownerUrl: string, app: postgres.Sql): Promise<void> {
  const owner = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  try {
    await migratePostgres(drizzlePostgres(owner, { schema }), { migrationsFolder });
    const [me] = await app<{ role: string }[]>`select current_user as role`;
    const [them] = await owner<{ role: string }[]>`select current_user as role`;
    if (!me || !them) throw new Error('could not name the database roles');
    if (me.role === them.role) {
      throw new Error(
        'DATABASE_OWNER_URL and DATABASE_URL name the same role: the app must connect as a role that owns nothing',
      );
    }
    const role = owner(me.role);
    await owner.begin(async (tx) => {
      await tx`grant usage on schema public to ${role}`;
      await tx`revoke all on all tables in schema public from ${role}`;
      await tx`grant select, insert, update, delete on all tables in schema public to ${role}`;
      for (const table of appendOnlyTables) {
        await tx`revoke update, delete, truncate, references, trigger on ${tx(table)} from ${role}`;
      }
      await tx`grant usage, select on all sequences in schema public to ${role}`;
    });
  } finally {
    await owner.end({ timeout: 5 });
  }
}

async function roleWarnings(client: postgres.Sql): Promise<string[]> {
  const [row] = await client<{ role: string; superuser: boolean; owns: boolean }[]>`
    select current_user as role,
      (select rolsuper from pg_roles where rolname = current_user) as superuser,
      exists (select 1 from pg_tables where schemaname = 'public' and tablename = 'audit_events'
              and tableowner = current_user) as owns`;
  if (!row) return [];
  const warnings: string[] = [];
  if (row.superuser) {
    warnings.push(
      `the database role ${row.role} is a superuser: it can switch the audit trail's append-only triggers off`,
    );
  }
  if (row.owns) {
    warnings.push(
      `the database role ${row.role} owns the tables: it can disable the audit trail's append-only triggers. Run the server as a role that owns nothing, with DATABASE_OWNER_URL for migrations (README: Running on PostgreSQL)`,
    );
  }
  return warnings;
}
