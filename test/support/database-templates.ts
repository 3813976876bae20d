import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openDatabase } from '../../db/client.ts';

/** Where the run's migrated PGlite data directory is kept, as a tarball. */
export const pgliteTemplateVariable = 'SMARTCARD_RA_TEST_PGLITE_TEMPLATE';
/** The name of the run's migrated PostgreSQL database that test databases are copied from. */
export const postgresTemplateVariable = 'SMARTCARD_RA_TEST_POSTGRES_TEMPLATE';

/** A copy of `adminUrl` naming another database on the same server. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Vitest global setup: migrates one database of each driver once per run, for every test
 * database to start as a copy of (test/support/databases.ts). A fresh PGlite spends seconds
 * in initdb and a fresh PostgreSQL database most of a second in the migrations; a copy costs
 * a fraction of either. The migrations themselves still run in full, from nothing, every run:
 * here, and in the start-up tests that migrate their own databases.
 *
 * Every project inherits this setup: the first to run makes the templates (its workers and
 * those of the projects after it use them) and removes them at the end, the others leave it
 * to that one.
 */
export default async function setup() {
  if (process.env[pgliteTemplateVariable]) return;
  const dir = mkdtempSync(join(tmpdir(), 'smartcard-ra-test-template-'));
  const pglite = await openDatabase({ driver: 'pglite' });
  let pgliteFile: string;
  try {
    await pglite.migrate();
    // The handle's drizzle instance keeps the PGlite it runs on.
    const client = (pglite.db as unknown as { $client: PGlite }).$client;
    pgliteFile = join(dir, 'pglite-data-dir.tar');
    writeFileSync(pgliteFile, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
  } finally {
    await pglite.close();
  }

  const adminUrl = process.env.TEST_DATABASE_URL;
  let postgresTemplate: string | undefined;
  if (adminUrl) {
    const name = `ra_template_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database ${name}`);
    } finally {
      await admin.end();
    }
    postgresTemplate = name;
    const handle = await openDatabase({ driver: 'postgres', url: databaseUrl(adminUrl, name) });
    try {
      await handle.migrate();
    } finally {
      await handle.close();
    }
  }

  process.env[pgliteTemplateVariable] = pgliteFile;
  if (postgresTemplate) process.env[postgresTemplateVariable] = postgresTemplate;
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env[pgliteTemplateVariable];
    if (adminUrl && postgresTemplate) {
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop database if exists ${postgresTemplate} with (force)`);
      } finally {
        await admin.end();
      }
      delete process.env[postgresTemplateVariable];
    }
  };
}
