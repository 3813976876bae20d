import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { type DatabaseHandle, type DriverName, openDatabase } from '../../db/client.ts';
import {
  databaseUrl,
  pgliteTemplateVariable,
  postgresTemplateVariable,
} from './database-templates.ts';

/**
 * The drivers every database suite runs on: the embedded PGlite always, and PostgreSQL
 * too when TEST_DATABASE_URL names a server.
 */
export const testDrivers: DriverName[] = process.env.TEST_DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

// The run's migrated PGlite data directory, read once per test file.
let pgliteTemplate: Blob | undefined;

/**
 * A fresh, migrated, empty database. On PostgreSQL each call creates its own database
 * (dropped again by `close`), so suites never see each other's rows and can run in parallel.
 * Under vitest each starts as a copy of the run's template, migrated once by the global setup
 * (test/support/database-templates.ts); anywhere else (the benchmarks) it is migrated here.
 */
export async function openTestDatabase(driver: DriverName): Promise<DatabaseHandle> {
  if (driver === 'pglite') {
    const templateFile = process.env[pgliteTemplateVariable];
    if (templateFile) {
      pgliteTemplate ??= new Blob([readFileSync(templateFile)]);
      return openDatabase({ driver: 'pglite', loadDataDir: pgliteTemplate });
    }
    const handle = await openDatabase({ driver: 'pglite' });
    await handle.migrate();
    return handle;
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const template = process.env[postgresTemplateVariable];
  const name = `ra_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}${template ? ` template ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const handle = await openDatabase({ driver: 'postgres', url: databaseUrl(adminUrl, name) });
  if (!template) await handle.migrate();
  return {
    ...handle,
    close: async () => {
      await handle.close();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
