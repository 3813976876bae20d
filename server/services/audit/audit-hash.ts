import { createHash } from 'node:crypto';

/** The hash a chain starts from, before the first event. */
export const genesisHash = '0'.repeat(64);

/** The fields of an audit event that its hash covers. */
export interface HashedAuditContent {
  occurredAt: Date;
  actorAccountId: string | null;
  actorUsername: string | null;
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

/** SHA-256 over the previous event's hash and this event's content. */
export function auditHash(prevHash: string, content: HashedAuditContent): string {
  const body = canonicalJson({ ...content, occurredAt: content.occurredAt.toISOString() });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
