import { readFileSync } from 'node:fs';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = z.coerce.number().int().positive();

/** Every environment variable the server reads; README's configuration table mirrors this. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DEMO_DATA: z.enum(['auto', 'true', 'false']).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: flag.default(false),
  PUBLIC_ORIGIN: z.url().optional(),
  CERTIFICATE_VALIDITY_DAYS: positiveInt
    .max(1095, 'certificates are valid for at most three years (1095 days)')
    .default(730),
  UPN_DOMAIN: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/,
      'must be a DNS domain such as nhs.uk',
    )
    .default('nhs.uk'),
  SESSION_IDLE_MINUTES: positiveInt.default(30),
  SESSION_MAX_HOURS: positiveInt.default(12),
  LOGIN_DELAY_AFTER_FAILURES: positiveInt.default(3),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: positiveInt.default(50),
  LOGIN_MAX_FAILURES_PER_ADDRESS: positiveInt.default(500),
  LOGIN_LOCKOUT_MINUTES: positiveInt.default(15),
  DOCUMENT_HASH_KEY: z.string().min(32, 'must be at least 32 characters of secret').optional(),
  AUDIT_KEY: z.string().min(32, 'must be at least 32 characters of secret').optional(),
  AUDIT_KEY_FILE: z.string().min(1).optional(),
  CA_KEY_PASSPHRASE: z.string().min(12, 'must be at least 12 characters').optional(),
  CA_KEY_PASSPHRASE_FILE: z.string().min(1).optional(),
  CARD_MASTER_KEY: z.string().min(32, 'must be at least 32 characters of secret').optional(),
  CARD_JOB_STALE_SECONDS: positiveInt.max(3600).default(60),
  ESR_IMPORT_MAX_MB: positiveInt.max(4096).default(100),
  IMPORT_BATCH_ROWS: positiveInt.max(50_000).default(2000),
  AUDIT_UNKEYED_EVENTS: z.coerce.number().int().min(0).default(0),
  DATABASE_OWNER_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  // The message names the shape, never the value: the URL may hold the mail server's password.
  SMTP_URL: z
    .string()
    .refine(
      isSmtpUrl,
      'must be an smtp:// or smtps:// URL naming the mail server, such as smtps://user:password@mail.trust.nhs.uk:465',
    )
    .optional(),
  MAIL_FROM: z
    .string()
    .regex(
      /^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/,
      'must be an email address, or a name and address such as "Smartcard RA <ra@trust.nhs.uk>"',
    )
    .default('Smartcard RA <no-reply@localhost>'),
  SMTP_TIMEOUT_SECONDS: positiveInt
    .max(120, 'at most 120 seconds: the person waits on the page meanwhile')
    .default(10),
});

/** An smtp:// or smtps:// URL with a host (nodemailer's default ports: 587 and 465). */
function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The audit key from AUDIT_KEY or the file AUDIT_KEY_FILE names, with what is wrong said. */
function auditKeyOf(e: {
  AUDIT_KEY?: string | undefined;
  AUDIT_KEY_FILE?: string | undefined;
}): { key: string | undefined } | { problem: string } {
  if (e.AUDIT_KEY && e.AUDIT_KEY_FILE) {
    return { problem: 'AUDIT_KEY_FILE: give AUDIT_KEY or AUDIT_KEY_FILE, not both' };
  }
  if (!e.AUDIT_KEY_FILE) return { key: e.AUDIT_KEY };
  let key: string;
  try {
    key = readFileSync(e.AUDIT_KEY_FILE, 'utf8').trim();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return { problem: `AUDIT_KEY_FILE: cannot read ${e.AUDIT_KEY_FILE} (${why})` };
  }
  if (key.length < 32) {
    return { problem: 'AUDIT_KEY_FILE: the file must hold at least 32 characters of secret' };
  }
  return { key };
}

/** The CA key passphrase from CA_KEY_PASSPHRASE or the file CA_KEY_PASSPHRASE_FILE names. */
function caPassphraseOf(e: {
  CA_KEY_PASSPHRASE?: string | undefined;
  CA_KEY_PASSPHRASE_FILE?: string | undefined;
}): { passphrase: string | undefined } | { problem: string } {
  if (e.CA_KEY_PASSPHRASE && e.CA_KEY_PASSPHRASE_FILE) {
    return {
      problem: 'CA_KEY_PASSPHRASE_FILE: give CA_KEY_PASSPHRASE or CA_KEY_PASSPHRASE_FILE, not both',
    };
  }
  if (!e.CA_KEY_PASSPHRASE_FILE) return { passphrase: e.CA_KEY_PASSPHRASE };
  let passphrase: string;
  try {
    passphrase = readFileSync(e.CA_KEY_PASSPHRASE_FILE, 'utf8').trim();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return {
      problem: `CA_KEY_PASSPHRASE_FILE: cannot read ${e.CA_KEY_PASSPHRASE_FILE} (${why})`,
    };
  }
  if (passphrase.length < 12) {
    return { problem: 'CA_KEY_PASSPHRASE_FILE: the file must hold at least 12 characters' };
  }
  return { passphrase };
}

export interface SessionPolicy {
  idleMinutes: number;
  maxHours: number;
}

/** How failed sign-ins are slowed (see login-throttle.ts). */
export interface LoginPolicy {
  /** Failures of one username from one address before each further try must wait (1 s, 2 s, 4 s …). */
  delayAfterFailures: number;
  /** Failures of one username from all addresses, within `lockoutMinutes`, that lock it. */
  maxFailuresPerAccount: number;
  /** Failures from one address (for several usernames), within `lockoutMinutes`, that lock it. */
  maxFailuresPerAddress: number;
  /** The window those failures are counted in, the longest lock, and the longest delay. */
  lockoutMinutes: number;
}

/** How the server sends mail (the one-time unlock codes). */
export interface MailPolicy {
  /** smtp:// or smtps:// with the server, port and any user and password; unset: files. */
  smtpUrl: string | undefined;
  /** The From header: an address, or a name and address. */
  from: string;
  /** How long each of connecting, the server's greeting and any silence may take. */
  timeoutSeconds: number;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  demoData: 'auto' | 'true' | 'false';
  logLevel: string;
  /** Take the client's address and scheme from X-Forwarded-For/-Proto (behind a proxy only). */
  trustProxy: boolean;
  /** The origin browsers use to reach the app; when unset, the request's own origin. */
  publicOrigin: string | undefined;
  session: SessionPolicy;
  login: LoginPolicy;
  /**
   * HMAC key for identity document numbers. When unset, the embedded database keeps a
   * generated one in DATA_DIR; PostgreSQL deployments must set it (all processes alike).
   */
  documentHashKey: string | undefined;
  /**
   * The audit trail's secret (AUDIT_KEY, or read from AUDIT_KEY_FILE): keys its hash chain
   * and signs its checkpoints. When unset, the embedded database keeps a generated one in
   * DATA_DIR; PostgreSQL deployments must set it (all processes alike), never in the database.
   */
  auditKey: string | undefined;
  /**
   * How many early unkeyed (plain SHA-256, from before the keyed chain) events the trail may
   * start with; any other unkeyed event is a break. 0 unless upgrading a pre-keyed trail.
   */
  auditUnkeyedEvents: number;
  /**
   * Opens the CA private keys (CA_KEY_PASSPHRASE, or read from CA_KEY_PASSPHRASE_FILE). When
   * unset, the embedded database keeps a generated one in DATA_DIR; PostgreSQL deployments
   * must set it once a CA exists. Never logged, never in the database.
   */
  caKeyPassphrase: string | undefined;
  /** Days a card's certificate is valid for (never past the issuing CA's end). */
  certificateValidityDays: number;
  /** The domain of the UPN in a card's authentication certificate: <12-digit user id>@<domain>. */
  upnDomain: string;
  /**
   * The secret every card's management key is derived from and its PUK sealed under
   * (pki/card/card-secrets.ts). When unset, the embedded database keeps a generated one in
   * DATA_DIR; PostgreSQL deployments must set it (all processes alike) to issue, renew or
   * unlock cards. Never logged, never in the database: losing it loses every card's keys.
   */
  cardMasterKey: string | undefined;
  /** A started card job whose agent reports nothing for this long is failed. */
  cardJobStaleSeconds: number;
  /** The largest ESR file an import takes, in bytes (ESR_IMPORT_MAX_MB). */
  esrImportMaxBytes: number;
  /** Rows applied per transaction of an import (IMPORT_BATCH_ROWS): the progress bar's step. */
  importBatchRows: number;
  /** PostgreSQL only: the tables' owner, which applies migrations and grants the app role. */
  databaseOwnerUrl: string | undefined;
  /**
   * Where mail goes: SMTP_URL's server, or without one, .eml files in DATA_DIR/mail (the demo,
   * and a deployer seeing what would be sent). Never logged: the URL may hold a password.
   */
  mail: MailPolicy;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment, failing with every wrong variable named. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  const lines = parsed.success
    ? []
    : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  const audit = auditKeyOf(parsed.success ? parsed.data : env);
  if ('problem' in audit) lines.push(`  ${audit.problem}`);
  const ca = caPassphraseOf(parsed.success ? parsed.data : env);
  if ('problem' in ca) lines.push(`  ${ca.problem}`);
  if (!parsed.success || 'problem' in audit || 'problem' in ca) {
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    demoData: e.DEMO_DATA,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    publicOrigin: e.PUBLIC_ORIGIN ? new URL(e.PUBLIC_ORIGIN).origin : undefined,
    session: { idleMinutes: e.SESSION_IDLE_MINUTES, maxHours: e.SESSION_MAX_HOURS },
    login: {
      delayAfterFailures: e.LOGIN_DELAY_AFTER_FAILURES,
      maxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
      lockoutMinutes: e.LOGIN_LOCKOUT_MINUTES,
    },
    documentHashKey: e.DOCUMENT_HASH_KEY,
    auditKey: audit.key,
    auditUnkeyedEvents: e.AUDIT_UNKEYED_EVENTS,
    caKeyPassphrase: ca.passphrase,
    certificateValidityDays: e.CERTIFICATE_VALIDITY_DAYS,
    upnDomain: e.UPN_DOMAIN,
    databaseOwnerUrl: e.DATABASE_OWNER_URL,
    cardMasterKey: e.CARD_MASTER_KEY,
    cardJobStaleSeconds: e.CARD_JOB_STALE_SECONDS,
    esrImportMaxBytes: e.ESR_IMPORT_MAX_MB * 1024 * 1024,
    importBatchRows: e.IMPORT_BATCH_ROWS,
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      timeoutSeconds: e.SMTP_TIMEOUT_SECONDS,
    },
  };
}
