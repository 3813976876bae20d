import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverName } from '../../db/client.ts';
import { accounts } from '../../db/schema/accounts.ts';
import { people } from '../../db/schema/people.ts';
import { CardSecrets } from '../../pki/card/card-secrets.ts';
import { createApp } from '../../server/app.ts';
import { type Config, loadConfig } from '../../server/config.ts';
import { jobLinks } from '../../server/jobs/job-links.ts';
import { startQueue } from '../../server/jobs/queue.ts';
import { deriveAuditKeys } from '../../server/services/audit/audit-keys.ts';
import type { ServiceContext } from '../../server/services/context.ts';
import { demoPassword, seedDemo } from '../../server/services/demo/seed-demo.ts';
import { createMailer } from '../../server/services/mail/mailer.ts';
import { caOpenerFor } from '../../server/services/pki/certificate-authority.ts';
import { openTestDatabase } from './databases.ts';
import { createTestLogger, recordTestPeople } from './test-logs.ts';

/** The CA key passphrase of every test app, unless its env gives another. */
export const testCaPassphrase = 'test-ca-passphrase-0123456789';

/** A clock tests can move forward. */
export class TestClock {
  constructor(private current = new Date('2026-11-25T09:00:00.000Z')) {}
  now = () => new Date(this.current);
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface SignedIn {
  cookie: string;
  csrfToken: string;
  /** Headers for a state-changing request as this user. */
  headers: Record<string, string>;
}

/**
 * The real app on a fresh real database with the demo trust seeded, for tests that go
 * through `app.request` exactly as a browser would.
 */
export async function createTestApp(
  driver: DriverName,
  options: {
    env?: Record<string, string>;
    webRoot?: string | null;
    /**
     * Start the background job queue (pg-boss) on the test's database, with workers and
     * without the schedules, as server/main.ts does; off unless a test asks.
     */
    queue?: boolean;
  } = {},
) {
  const handle = await openTestDatabase(driver);
  const clock = new TestClock();
  const config: Config = loadConfig({
    TRUST_PROXY: 'true',
    DOCUMENT_HASH_KEY: 'test-document-hash-key-0123456789abcdef',
    AUDIT_KEY: 'test-audit-key-0123456789abcdef-0123456789',
    // Opens the CA once a test makes one (initCertificateAuthority, or seedDemoMorning).
    CA_KEY_PASSPHRASE: testCaPassphrase,
    CARD_MASTER_KEY: 'test-card-master-key-0123456789abcdef',
    // Mail without SMTP_URL is written under DATA_DIR: never into the checkout's ./data.
    DATA_DIR: join(tmpdir(), 'smartcard-ra-test-data'),
    ...options.env,
  });
  const ctx: ServiceContext = {
    db: handle.db,
    actor: null,
    requestId: null,
    address: null,
    now: clock.now,
    auditKeys: deriveAuditKeys(config.auditKey ?? '', config.auditUnkeyedEvents),
  };
  // Services called directly and the app's routes share one opener of the CA's key.
  ctx.certificateAuthority = caOpenerFor(ctx, config.caKeyPassphrase);
  if (config.cardMasterKey) ctx.cardSecrets = new CardSecrets(config.cardMasterKey);
  await seedDemo(ctx);
  const { logger, logFile } = createTestLogger();
  const mailer = createMailer(config, logger);
  const queue = options.queue
    ? await startQueue({
        database: handle.pglite
          ? { driver: 'pglite', pglite: handle.pglite }
          : { driver: 'postgres', url: handle.url ?? '' },
        job: {
          ctx: { ...ctx, mailer },
          logger,
          links: jobLinks('https://ra.example.test'),
        },
        schedule: false,
        pollingIntervalSeconds: 0.5,
      })
    : null;
  const app = createApp({
    db: handle.db,
    driver,
    config,
    logger,
    now: clock.now,
    auditKeys: ctx.auditKeys,
    certificateAuthority: ctx.certificateAuthority,
    cardSecrets: ctx.cardSecrets ?? null,
    webRoot: options.webRoot ?? null,
    mailer,
    queue,
  });

  async function login(username: string, password = demoPassword): Promise<SignedIn> {
    const res = await app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    const setCookie = res.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0] ?? '';
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return {
      cookie,
      csrfToken,
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    };
  }

  /** Everyone the tests put in the database, for the log check of the whole run. */
  async function recordPeople() {
    const persons = await handle.db.select().from(people);
    const logins = await handle.db
      .select({ displayName: accounts.displayName, email: accounts.email })
      .from(accounts);
    recordTestPeople([
      ...persons.map((p) => ({
        names: [p.givenName, p.middleNames, p.familyName, p.nameOnCard],
        dateOfBirth: p.dateOfBirth,
        email: p.email,
      })),
      ...logins.map((a) => ({ names: [a.displayName], email: a.email })),
    ]);
  }

  async function close() {
    try {
      await queue?.stop();
      await recordPeople();
    } finally {
      await handle.close();
    }
  }

  return { app, db: handle.db, handle, clock, config, ctx, login, logFile, close, queue, mailer };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
