import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { openDatabase } from '../db/client.ts';
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { jobLinks } from './jobs/job-links.ts';
import { startQueue } from './jobs/queue.ts';
import { createLogger } from './logger.ts';
import { deriveAuditKeys } from './services/audit/audit-keys.ts';
import { auditSecretFor } from './services/audit/audit-secret.ts';
import { startCheckpointer } from './services/audit/checkpointer.ts';
import { countUnkeyedEvents } from './services/audit/count-unkeyed-events.ts';
import { failLapsedJobs } from './services/card-jobs/end-card-job.ts';
import { type ServiceContext, withTransaction } from './services/context.ts';
import { demoPassword, seedDemo } from './services/demo/seed-demo.ts';
import { seedDemoActivity } from './services/demo/seed-demo-activity.ts';
import { seedDemoStock } from './services/demo/seed-demo-stock.ts';
import { mailFolder } from './services/mail/file-mailer.ts';
import { createMailer } from './services/mail/mailer.ts';
import { caPassphraseFor } from './services/pki/ca-passphrase.ts';
import {
  caOpenerFor,
  certificateAuthorityExists,
  initCertificateAuthority,
} from './services/pki/certificate-authority.ts';

/** A secret of the embedded database's (HMAC key, card master secret): made once, kept beside the data, readable by us only. */
function localSecret(dataDir: string, name: string): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

/** Where mail goes, said once at start: a deployment without SMTP_URL is warned. */
function logMailRoute(
  config: ReturnType<typeof loadConfig>,
  logger: ReturnType<typeof createLogger>,
) {
  const { smtpUrl } = config.mail;
  if (smtpUrl) {
    // The host alone: the URL may hold the mail server's password.
    logger.info(
      { host: new URL(smtpUrl).host },
      'mail (one-time unlock codes, expiry notifications) goes through SMTP',
    );
    return;
  }
  const folder = mailFolder(config.dataDir);
  if (config.databaseUrl) {
    logger.warn(
      { folder },
      'SMTP_URL is not set: one-time unlock codes are written as .eml files into DATA_DIR/mail, not emailed. Set SMTP_URL to email them.',
    );
  } else {
    logger.info({ folder }, 'no SMTP_URL: mail is written as .eml files into DATA_DIR/mail');
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

  if (!config.documentHashKey) {
    if (config.databaseUrl) {
      console.error(
        'Invalid configuration:\n  DOCUMENT_HASH_KEY: required with DATABASE_URL (32+ characters of secret, the same for every server process)',
      );
      process.exit(2);
    }
    config.documentHashKey = localSecret(resolve(config.dataDir), 'document-hash.key');
  }
  // The embedded database keeps the card master secret beside its data, as it keeps the
  // others; PostgreSQL deployments give it (without it, card jobs are refused, saying so).
  if (!config.cardMasterKey && !config.databaseUrl) {
    config.cardMasterKey = localSecret(resolve(config.dataDir), 'card-master.key');
  }
  try {
    config.auditKey = auditSecretFor(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const auditKeys = deriveAuditKeys(config.auditKey, config.auditUnkeyedEvents);
  if (config.databaseOwnerUrl && !config.databaseUrl) {
    console.error(
      'Invalid configuration:\n  DATABASE_OWNER_URL: only with DATABASE_URL (the embedded database has no roles)',
    );
    process.exit(2);
  }
  const handle = config.databaseUrl
    ? await openDatabase({
        driver: 'postgres',
        url: config.databaseUrl,
        ownerUrl: config.databaseOwnerUrl,
      })
    : await openDatabase({ driver: 'pglite', dataDir: resolve(config.dataDir) });
  logger.info(
    { driver: handle.driver, dataDir: config.databaseUrl ? undefined : resolve(config.dataDir) },
    'database opened',
  );
  await handle.migrate();
  logger.info(
    { asOwner: !!config.databaseOwnerUrl },
    config.databaseOwnerUrl
      ? 'migrations applied as the owner, app role granted'
      : 'migrations applied',
  );
  for (const warning of await handle.roleWarnings()) logger.warn(warning);
  logMailRoute(config, logger);
  const unkeyed = await countUnkeyedEvents(handle.db);
  if (unkeyed.unkeyed > config.auditUnkeyedEvents) {
    logger.warn(
      {
        unkeyedEvents: unkeyed.unkeyed,
        leading: unkeyed.leading,
        accepted: config.auditUnkeyedEvents,
      },
      `the audit trail holds ${unkeyed.unkeyed} unkeyed events but AUDIT_UNKEYED_EVENTS accepts ${config.auditUnkeyedEvents}: verification reports every unkeyed event beyond that as a break. If this trail was upgraded from before the keyed chain, set AUDIT_UNKEYED_EVENTS=${unkeyed.leading} (its unkeyed events before the first keyed one); otherwise the trail was rewritten.`,
    );
  }

  const ctx: ServiceContext = {
    db: handle.db,
    actor: null,
    requestId: null,
    address: null,
    now: () => new Date(),
    auditKeys,
  };
  // Demo accounts go only into the embedded database, or where DEMO_DATA=true says so.
  const wantDemo =
    config.demoData === 'true' || (config.demoData === 'auto' && handle.driver === 'pglite');

  // The CA first: the demo's cards are issued by it. Made on the demo's first start; elsewhere
  // by `npm run ca -- init`. Its key is opened now, so a wrong or missing passphrase stops the
  // start rather than the first OCSP call or revocation.
  config.caKeyPassphrase = caPassphraseFor(config);
  if (wantDemo && !config.caKeyPassphrase) {
    console.error(
      'Invalid configuration:\n  CA_KEY_PASSPHRASE: required for the demo data with DATABASE_URL (the demo issues its cards from its own certificate authority), or CA_KEY_PASSPHRASE_FILE naming a file that holds it',
    );
    process.exit(2);
  }
  if (wantDemo && config.caKeyPassphrase && !(await certificateAuthorityExists(ctx))) {
    const made = await initCertificateAuthority(ctx, {
      passphrase: config.caKeyPassphrase,
      organisation: 'Smartcard RA Demo',
    });
    logger.warn(
      { authorities: made.map((m) => ({ name: m.name, subject: m.subject })) },
      config.databaseUrl
        ? 'demo certificate authority created (its key passphrase is CA_KEY_PASSPHRASE)'
        : 'demo certificate authority created (its key passphrase is in DATA_DIR)',
    );
  }
  ctx.certificateAuthority = caOpenerFor(ctx, config.caKeyPassphrase);
  try {
    if (!(await ctx.certificateAuthority())) {
      logger.warn('no certificate authority yet: run `npm run ca -- init`');
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }

  // The trust and its morning of work go in together or not at all.
  const seeded =
    wantDemo &&
    (await withTransaction(ctx, async (tx) => {
      if (!(await seedDemo(tx))) return false;
      await seedDemoActivity(tx, {
        login: config.login,
        documentHashKey: config.documentHashKey ?? '',
        pki: {
          baseUrl: config.publicOrigin ?? `http://localhost:${config.port}`,
          upnDomain: config.upnDomain,
          validityDays: config.certificateValidityDays,
        },
      });
      await seedDemoStock(tx, config.caKeyPassphrase ?? '');
      return true;
    }));
  if (seeded) {
    logger.warn(
      `demo data seeded: accounts manager, advanced, agent, idchecker, sponsor, lsa, staff with password "${demoPassword}" (demo only)`,
    );
  }

  const { certificateAuthority } = ctx;
  const mailer = createMailer(config, logger);
  // Background work (expiry scan, position expiry, CRL refresh, purges, mail) on pg-boss:
  // its own small pool on PostgreSQL, the one embedded connection on PGlite (README:
  // Background work).
  const origin = config.publicOrigin ?? `http://localhost:${config.port}`;
  const queue = await startQueue({
    database: handle.pglite
      ? { driver: 'pglite', pglite: handle.pglite }
      : {
          driver: 'postgres',
          url: config.databaseUrl ?? '',
          ownerUrl: config.databaseOwnerUrl,
        },
    job: {
      ctx: { ...ctx, mailer },
      logger,
      links: jobLinks(origin),
    },
  });
  // The CRL is checked at start too, not only at the hourly tick.
  await queue.send('crl-refresh');
  const app = createApp({
    certificateAuthority,
    db: handle.db,
    driver: handle.driver,
    config,
    logger,
    version,
    webRoot: join(root, 'dist', 'web'),
    auditKeys,
    mailer,
    queue,
  });
  logger.info({ keyId: auditKeys.keyId }, 'audit checkpoints signed with this key');
  const checkpointer = startCheckpointer(ctx, logger);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(`Smartcard RA listening on http://localhost:${info.port}`);
  });
  // A card job whose agent died ends as failed (its unfinished certificates revoked) though
  // nobody looks at it again.
  setInterval(() => {
    failLapsedJobs(ctx, config.cardJobStaleSeconds)
      .then((n) => n && logger.info({ jobs: n }, 'lapsed card jobs ended as failed'))
      .catch((err) => logger.error({ err }, 'ending lapsed card jobs failed'));
  }, 30_000).unref();

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    checkpointer.stop();
    server.close(() => {
      queue
        .stop()
        .catch((err) => logger.error({ err }, 'stopping the job queue failed'))
        .then(() => handle.close())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error('Smartcard RA failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
