import { createHash, createHmac, type KeyObject } from 'node:crypto';

/** The hash a chain starts from, before the first event. */
export const genesisHash = '0'.repeat(64);

/** The hash versions: 1 plain SHA-256 (the early trail), 2 HMAC-SHA-256 with the audit key. */
export type HashVersion = 1 | 2;
export const currentHashVersion = 2;

/** The fields of an audit event that its hash covers. */
export interface HashedAuditContent {
  occurredAt: Date;
  actorAccountId: string | null;
  actorUsername: string | null;
  /** Covered by version 2 only; a version-1 row must have none. */
  actorWorkstationId?: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  summary: Record<string, unknown>;
  requestId: string | null;
  address: string | null;
}

/**
 * JSON with object keys sorted at every depth, so a row read back from jsonb (which
 * reorders keys) hashes to what was written.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function legacyBody(content: HashedAuditContent): string {
  const { actorWorkstationId: _, ...v1 } = content;
  return canonicalJson({ ...v1, occurredAt: content.occurredAt.toISOString() });
}

/** Version 1: SHA-256 over the previous event's hash and this event's content. */
export function auditHash(prevHash: string, content: HashedAuditContent): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(legacyBody(content))
    .digest('hex');
}

/**
 * Version 2: HMAC-SHA-256 with the chain key over the previous hash, the version and the
 * content (the workstation included). Without the key nobody can recompute it.
 */
export function keyedAuditHash(
  chainKey: KeyObject,
  prevHash: string,
  content: HashedAuditContent,
): string {
  const body = canonicalJson({
    ...content,
    actorWorkstationId: content.actorWorkstationId ?? null,
    occurredAt: content.occurredAt.toISOString(),
  });
  return createHmac('sha256', chainKey).update(`v2\n${prevHash}\n`).update(body).digest('hex');
}
