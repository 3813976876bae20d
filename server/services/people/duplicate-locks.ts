import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../context.ts';

/**
 * Transaction-scoped advisory locks that make a duplicate check and the insert it guards
 * one step. The duplicate rules for people warn and let an override with a reason through,
 * so no unique index can hold them; instead everyone who would insert the same names and
 * date of birth, or the same document, queues on one lock and each sees the rows of
 * whoever went before (under READ COMMITTED every statement after the lock takes a fresh
 * snapshot). Locks end with the transaction, so nothing is left held on an error.
 *
 * The two-integer form of the lock is used, with a namespace of its own for each rule:
 * it cannot collide with the audit chain's lock (7305019, 1). Keys are 32 bits of a hash,
 * so two different people may now and then share a key: they only wait for each other.
 */
const namespaces = {
  personIdentity: 7305020,
  documentNumber: 7305021,
  openRequest: 7305022,
} as const;

function int32Of(text: string): number {
  return createHash('sha256').update(text).digest().readInt32BE(0);
}

async function lock(ctx: ServiceContext, namespace: number, key: number) {
  await ctx.db.execute(sql`select pg_advisory_xact_lock(${namespace}::int4, ${key}::int4)`);
}

/** Queues registrations of the same names and date of birth (as name keys compare them). */
export async function lockPersonIdentity(
  tx: ServiceContext,
  keys: { familyKey: string; givenKey: string },
  dateOfBirth: string,
): Promise<void> {
  const key = int32Of(JSON.stringify([keys.familyKey, keys.givenKey, dateOfBirth]));
  await lock(tx, namespaces.personIdentity, key);
}

/**
 * Queues identity checks that show any of the same documents. The locks are taken in one
 * order (sorted by key) whatever order the documents were typed in, so two checks sharing
 * two documents cannot each hold one and wait for the other.
 */
export async function lockDocumentNumbers(tx: ServiceContext, hashes: string[]): Promise<void> {
  const keys = [...new Set(hashes.map(int32Of))].sort((a, b) => a - b);
  for (const key of keys) await lock(tx, namespaces.documentNumber, key);
}

/** Queues requests for the same person, position and kind, so only one can be open. */
export async function lockOpenRequest(
  tx: ServiceContext,
  request: { personId: string; positionId: string; kind: string },
): Promise<void> {
  const key = int32Of(JSON.stringify([request.personId, request.positionId, request.kind]));
  await lock(tx, namespaces.openRequest, key);
}
