import { desc, sql } from 'drizzle-orm';
import { auditEvents } from '../../../db/schema/audit.ts';
import { auditChainHead, type TxContext } from '../context.ts';
import { currentHashVersion, genesisHash, keyedAuditHash } from './audit-hash.ts';

export interface AuditEventInput {
  /** Dotted verb, e.g. `auth.login`, `person.registered`. */
  action: string;
  subjectType: string;
  subjectId?: string | null;
  /** What changed, for a reader of the trail. Never a secret: see `assertNoSecrets`. */
  summary?: Record<string, unknown>;
  /** Who acted, when that is not the context's actor (a failed login names the username tried). */
  actor?: { accountId: string | null; username: string | null };
}

// Keys whose values must never reach the audit trail, whatever the caller meant.
const secretKeys =
  /^(password|passcode|newPassword|pin|newPin|puk|secret|token|sessionToken|privateKey|managementKey|otp|code|documentNumber)$/i;

function assertNoSecrets(value: unknown, path = 'summary'): void {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (secretKeys.test(k)) throw new Error(`audit ${path}.${k} looks like a secret`);
    assertNoSecrets(v, `${path}.${k}`);
  }
}

// One lock key for the whole chain: writers take turns, so each event links to the one
// committed just before it, even with several server processes on one database.
const chainLock = sql`select pg_advisory_xact_lock(7305019, 1)`;

/**
 * Appends one event to the audit trail, in the transaction of the change it records (the
 * type says so: only `withTransaction` makes a TxContext), so the change and its record
 * commit together or not at all. The chain's lock is held until that transaction ends, so a
 * second event of the same transaction links to the first without asking again.
 */
export async function recordAuditEvent(ctx: TxContext, input: AuditEventInput) {
  const summary = input.summary ?? {};
  assertNoSecrets(summary);
  const head = auditChainHead(ctx);
  let prevHash = head.hash;
  if (prevHash === undefined) {
    await ctx.db.execute(chainLock);
    const [last] = await ctx.db
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.id))
      .limit(1);
    prevHash = last?.hash ?? genesisHash;
  }
  const content = {
    occurredAt: ctx.now(),
    actorAccountId: input.actor ? input.actor.accountId : (ctx.actor?.accountId ?? null),
    actorUsername: input.actor ? input.actor.username : (ctx.actor?.username ?? null),
    actorWorkstationId: ctx.workstation?.id ?? null,
    action: input.action,
    subjectType: input.subjectType,
    subjectId: canonicalId(input.subjectId ?? null),
    summary,
    requestId: ctx.requestId,
    address: ctx.address,
  };
  const hash = keyedAuditHash(ctx.auditKeys.chainKey, prevHash, content);
  const [row] = await ctx.db
    .insert(auditEvents)
    .values({ ...content, prevHash, hash, hashVersion: currentHashVersion })
    .returning({ id: auditEvents.id });
  // Only once the row is in: an insert that failed left the chain where it was.
  head.hash = hash;
  return row;
}

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A subject's id as the trail keeps it: a UUID in lower case, however the request spelt it
 * (`z.uuid()` accepts upper case, and PostgreSQL finds the row either way), so that a
 * person's history and the filters find every event about them.
 */
export function canonicalId(id: string | null): string | null {
  return id && uuidShape.test(id) ? id.toLowerCase() : id;
}
