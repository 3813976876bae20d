import type { Context } from 'hono';
import type { Database, DriverName } from '../../db/client.ts';
import type { CardSecrets } from '../../pki/card/card-secrets.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { AuditKeys } from '../services/audit/audit-keys.ts';
import type { JobQueue } from '../services/background/job-queue.ts';
import type { Actor, RequestMemo, ServiceContext } from '../services/context.ts';
import type { Mailer } from '../services/mail/mailer.ts';
import type { CaOpener } from '../services/pki/ca-opener.ts';

/** What the app is built from; tests pass their own database, clock and config. */
export interface AppDeps {
  db: Database;
  driver: DriverName;
  config: Config;
  logger: Logger;
  /** The clock; tests move it to expire sessions and lockouts. */
  now?: () => Date;
  /** Folder of the built web app; null serves the API alone. */
  webRoot?: string | null;
  version?: string;
  /** The audit trail's keys; by default derived from `config.auditKey`. */
  auditKeys?: AuditKeys;
  /** Opens the CAs for signing; by default from the database and `config.caKeyPassphrase`. */
  certificateAuthority?: CaOpener;
  /** Card management keys and PUKs; by default from `config.cardMasterKey` (none: no card jobs). */
  cardSecrets?: CardSecrets | null;
  /** Sends mail; by default SMTP_URL's server, or files in DATA_DIR/mail (`createMailer`). */
  mailer?: Mailer;
  /** The background job queue (server/jobs); null: none in this app (most tests). */
  queue?: JobQueue | null;
}

export interface SessionInfo {
  id: string;
  csrfToken: string;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    deps: Required<AppDeps>;
    actor: Actor | null;
    session: SessionInfo | null;
    /** The workstation whose agent credential came with the request, if any. */
    workstation: { id: string; name: string; odsCode: string } | null;
    address: string | null;
    /** What services work out once per request (see RequestMemo); made by serviceContext. */
    memo: RequestMemo | undefined;
  };
}

export type AppContext = Context<AppEnv>;

/** The service context of one request: its database, caller, request id, address and memo. */
export function serviceContext(c: AppContext): ServiceContext {
  const deps = c.get('deps');
  let memo = c.get('memo');
  if (!memo) {
    memo = new Map();
    c.set('memo', memo);
  }
  return {
    db: deps.db,
    actor: c.get('actor'),
    workstation: c.get('workstation') ?? null,
    requestId: c.get('requestId'),
    address: c.get('address'),
    now: deps.now,
    memo,
    auditKeys: deps.auditKeys,
    certificateAuthority: deps.certificateAuthority,
    ...(deps.cardSecrets ? { cardSecrets: deps.cardSecrets } : {}),
    mailer: deps.mailer,
  };
}

/** The origin browsers use for this app: configured, or the request's own. */
export function expectedOrigin(c: AppContext): string {
  return c.get('deps').config.publicOrigin ?? new URL(c.req.url).origin;
}

/** True when the browser reached us over TLS (directly, or through a trusted proxy). */
export function isSecure(c: AppContext): boolean {
  const { config } = c.get('deps');
  if (config.publicOrigin) return config.publicOrigin.startsWith('https:');
  if (config.trustProxy && c.req.header('x-forwarded-proto') === 'https') return true;
  return new URL(c.req.url).protocol === 'https:';
}
