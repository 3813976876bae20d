import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../db/client.ts';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { jobLinks } from '../../server/jobs/job-links.ts';
import { queueSchema, startQueue } from '../../server/jobs/queue.ts';
import { createLogger } from '../../server/logger.ts';
import { deriveAuditKeys } from '../../server/services/audit/audit-keys.ts';
import { demoPassword, seedDemo } from '../../server/services/demo/seed-demo.ts';
import { createTestLogger } from '../support/test-logs.ts';
import { waitFor } from '../support/wait-for.ts';

// Roles exist only on PostgreSQL: this runs where a server is given (as .ci/run does).
const adminUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!adminUrl)('the server’s database role on PostgreSQL', () => {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = `ra_roles_${suffix}`;
  const ownerRole = `ra_owner_${suffix}`;
  const appRole = `ra_app_${suffix}`;
  const urlAs = (role: string) => {
    const url = new URL(adminUrl ?? '');
    url.username = role;
    url.password = 'role-test-password';
    url.pathname = `/${database}`;
    return url.toString();
  };
  let admin: postgres.Sql;
  let handle: DatabaseHandle;
  let app: postgres.Sql;

  beforeAll(async () => {
    admin = postgres(adminUrl ?? '', { max: 1, onnotice: () => {} });
    await admin.unsafe(`create role ${ownerRole} login password 'role-test-password'`);
    await admin.unsafe(`create role ${appRole} login password 'role-test-password'`);
    await admin.unsafe(`create database ${database} owner ${ownerRole}`);
    handle = await openDatabase({
      driver: 'postgres',
      url: urlAs(appRole),
      ownerUrl: urlAs(ownerRole),
    });
    await handle.migrate();
    app = postgres(urlAs(appRole), { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await app?.end();
    await handle?.close();
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    await admin.unsafe(`drop role if exists ${appRole}`);
    await admin.unsafe(`drop role if exists ${ownerRole}`);
    await admin.end();
  });

  it('serves the app as a role that owns nothing', async () => {
    const t = createApp({
      db: handle.db,
      driver: 'postgres',
      config: loadConfig({ AUDIT_KEY: 'roles-test-audit-key-0123456789abcdef' }),
      logger: createLogger('silent'),
    });
    const ctx = {
      db: handle.db,
      actor: null,
      requestId: null,
      address: null,
      now: () => new Date(),
      auditKeys: deriveAuditKeys('roles-test-audit-key-0123456789abcdef'),
    };
    expect(await seedDemo(ctx)).toBe(true);
    const res = await t.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'manager', password: demoPassword }),
    });
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const verdict = await t.request('/api/audit/verify', { headers: { cookie } });
    expect(await verdict.json()).toMatchObject({ ok: true, firstBrokenId: null });
    expect(await handle.roleWarnings()).toEqual([]);
  });

  it('runs the job queue as the app role, in a schema the owner made', async () => {
    const { logger } = createTestLogger();
    const ctx = {
      db: handle.db,
      actor: null,
      requestId: null,
      address: null,
      now: () => new Date(),
      auditKeys: deriveAuditKeys('role-test-audit-key-0123456789abcdef', 0),
    };
    const queue = await startQueue({
      database: { driver: 'postgres', url: urlAs(appRole), ownerUrl: urlAs(ownerRole) },
      job: { ctx, logger, links: jobLinks('https://ra.example.test') },
      schedule: false,
      pollingIntervalSeconds: 0.5,
    });
    try {
      const [schema] = await app<{ owner: string }[]>`
        select nspowner::regrole::text as owner from pg_namespace where nspname = ${queueSchema}`;
      expect(schema?.owner).toBe(ownerRole);
      const id = await queue.send('position-expiry');
      await waitFor(
        async () =>
          (
            await app<{ outcome: string }[]>`
              select outcome from job_runs where queue_job_id = ${id ?? ''} and outcome = 'succeeded'`
          ).length === 1,
        'the queued job to run as the app role',
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } finally {
      await queue.stop();
    }
  }, 60_000);

  it('cannot switch the append-only triggers off, nor change or delete the trail', async () => {
    const refused = async (statement: string) => {
      await expect(app.unsafe(statement), statement).rejects.toThrow(
        /permission denied|must be owner|append-only/,
      );
    };
    await refused('set session_replication_role = replica');
    for (const table of ['audit_events', 'audit_checkpoints']) {
      await refused(`alter table ${table} disable trigger all`);
      await refused(`alter table ${table} disable trigger user`);
      await refused(`update ${table} set id = id`);
      await refused(`delete from ${table}`);
      await refused(`truncate ${table}`);
      await refused(`drop table ${table}`);
    }
    await refused('drop function audit_events_append_only() cascade');
    const [count] = await app`select count(*)::int as n from audit_events`;
    expect(count?.n).toBeGreaterThan(0);
  });

  it('warns about a server that connects as the tables’ owner', async () => {
    const asOwner = await openDatabase({ driver: 'postgres', url: urlAs(ownerRole) });
    try {
      const warnings = await asOwner.roleWarnings();
      expect(warnings.join('\n')).toMatch(/owns the tables/);
    } finally {
      await asOwner.close();
    }
  });
});
