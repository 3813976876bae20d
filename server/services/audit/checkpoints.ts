import { sign, verify } from 'node:crypto';
import { and, count, desc, eq, gt, lt, lte, max, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.ts';
import { auditCheckpoints, auditEvents } from '../../../db/schema/audit.ts';
import type { AuditKeys } from './audit-keys.ts';
import { type ChainPosition, chainStart, type WalkResult, walkChain } from './walk-chain.ts';

/** What a checkpoint states, as stored, served and kept by monitors. */
export interface CheckpointFields {
  eventCount: number;
  lastEventId: number;
  lastHash: string;
  createdAt: Date;
  keyId: string;
}

export interface Checkpoint extends CheckpointFields {
  id: number;
  /** Ed25519 over `checkpointText`, base64. */
  signature: string;
}

/**
 * The exact text a checkpoint's signature covers: one field a line, so a monitor can
 * rebuild it from the fields (or take `signedText`) and check it with the public key.
 * It names the unkeyed events the deployment accepted (AUDIT_UNKEYED_EVENTS), so a
 * checkpoint signed under one setting does not vouch for the trail under another.
 */
export function checkpointText(c: CheckpointFields, unkeyedEvents: number): string {
  return [
    'smartcard-ra audit checkpoint v2',
    `event-count ${c.eventCount}`,
    `last-event-id ${c.lastEventId}`,
    `last-hash ${c.lastHash}`,
    `created-at ${c.createdAt.toISOString()}`,
    `key-id ${c.keyId}`,
    `unkeyed-events ${unkeyedEvents}`,
  ].join('\n');
}

export function signCheckpoint(keys: AuditKeys, fields: CheckpointFields): string {
  return sign(
    null,
    Buffer.from(checkpointText(fields, keys.unkeyedEvents)),
    keys.signingKey,
  ).toString('base64');
}

/** True when `signature` is this server's key's signature over the checkpoint. */
export function checkpointSignatureHolds(
  keys: AuditKeys,
  c: CheckpointFields & { signature: string },
): boolean {
  if (c.keyId !== keys.keyId) return false;
  try {
    return verify(
      null,
      Buffer.from(checkpointText(c, keys.unkeyedEvents)),
      keys.publicKey,
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/**
 * The newest stored checkpoint that this key signed, and how many newer rows were skipped
 * because their signature does not hold (forged, or from another key).
 */
export async function newestSignedCheckpoint(
  db: Database,
  keys: AuditKeys,
): Promise<{ checkpoint: Checkpoint | null; skipped: number }> {
  let skipped = 0;
  let before = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = await db
      .select()
      .from(auditCheckpoints)
      .where(lt(auditCheckpoints.id, before))
      .orderBy(desc(auditCheckpoints.id))
      .limit(20);
    for (const row of rows) {
      if (checkpointSignatureHolds(keys, row)) return { checkpoint: row, skipped };
      skipped += 1;
    }
    const last = rows.at(-1);
    if (!last || rows.length < 20) return { checkpoint: null, skipped };
    before = last.id;
  }
}

export interface Reach {
  reached: boolean;
  /** Version of the checkpoint's newest event (to walk on from it). */
  keyed: boolean;
  problem: string | null;
}

/**
 * Whether the trail still reaches a checkpoint: its newest event is there with that hash,
 * and exactly as many events lead up to it. A deleted tail or a rewritten chain fails.
 * Counting is linear in the events counted: `countFrom` counts only those between another
 * checkpoint the trail reaches and this one, and `'skip'` counts none (where a walk along
 * the chain follows, which finds deletions itself).
 */
export async function trailReaches(
  db: Database,
  c: CheckpointFields,
  countFrom: { lastEventId: number; eventCount: number } | 'skip' | null = null,
): Promise<Reach> {
  const when = c.createdAt.toISOString();
  if (c.lastEventId === 0) {
    return c.eventCount === 0
      ? { reached: true, keyed: false, problem: null }
      : {
          reached: false,
          keyed: false,
          problem: `The checkpoint of ${when} names no event but counts ${c.eventCount}.`,
        };
  }
  const [event] = await db
    .select({ hash: auditEvents.hash, version: auditEvents.hashVersion })
    .from(auditEvents)
    .where(eq(auditEvents.id, c.lastEventId));
  if (!event) {
    return {
      reached: false,
      keyed: false,
      problem: `Event ${c.lastEventId}, the newest of the checkpoint of ${when}, is gone: the trail's newest events were deleted.`,
    };
  }
  if (event.hash !== c.lastHash) {
    return {
      reached: false,
      keyed: event.version === 2,
      problem: `Event ${c.lastEventId} no longer has the hash the checkpoint of ${when} signed: the trail was rewritten.`,
    };
  }
  if (countFrom === 'skip') return { reached: true, keyed: event.version === 2, problem: null };
  const base = countFrom ?? { lastEventId: 0, eventCount: 0 };
  const [low, high] =
    base.lastEventId <= c.lastEventId
      ? [base.lastEventId, c.lastEventId]
      : [c.lastEventId, base.lastEventId];
  const [counted] = await db
    .select({ n: count() })
    .from(auditEvents)
    .where(and(gt(auditEvents.id, low), lte(auditEvents.id, high)));
  const between = Number(counted?.n ?? 0);
  const n =
    base.lastEventId <= c.lastEventId ? base.eventCount + between : base.eventCount - between;
  if (n !== c.eventCount) {
    return {
      reached: false,
      keyed: event.version === 2,
      problem: `The checkpoint of ${when} counted ${c.eventCount} events up to event ${c.lastEventId}; the trail now has ${n}: events were ${n < c.eventCount ? 'deleted' : 'inserted'}.`,
    };
  }
  return { reached: true, keyed: event.version === 2, problem: null };
}

/** The position just after a checkpoint that the trail still reaches. */
export function positionAt(c: CheckpointFields, keyed: boolean): ChainPosition {
  return { afterId: c.lastEventId, prevHash: c.lastHash, keyed, count: c.eventCount };
}

export type MakeCheckpointResult =
  | { ok: true; checkpoint: Checkpoint; created: boolean }
  | { ok: false; verdict: WalkResult | null; problem: string };

// Checkpoint writers take turns (any number of server processes), apart from the chain's lock.
const checkpointLock = sql`select pg_advisory_xact_lock(7305019, 2)`;

/**
 * Signs a checkpoint of the trail as it stands, after checking the events since the last
 * checkpoint (from the start, when there is none): a checkpoint is never signed over a
 * broken trail, so each one vouches for everything before it. Makes none when nothing was
 * written since the last one, unless `force`.
 */
export async function makeCheckpoint(
  ctx: { db: Database; auditKeys: AuditKeys; now: () => Date },
  options: { force?: boolean } = {},
): Promise<MakeCheckpointResult> {
  const { db, auditKeys: keys } = ctx;
  const { checkpoint: anchor } = await newestSignedCheckpoint(db, keys);
  let from = chainStart;
  if (anchor) {
    const reach = await trailReaches(db, anchor, 'skip');
    if (!reach.reached) return { ok: false, verdict: null, problem: reach.problem ?? '' };
    from = positionAt(anchor, reach.keyed);
  }
  const [head] = await db.select({ id: max(auditEvents.id) }).from(auditEvents);
  const headId = Number(head?.id ?? 0);
  if (anchor && headId <= anchor.lastEventId && !options.force) {
    return { ok: true, checkpoint: anchor, created: false };
  }
  const walked = await walkChain(db, keys, from, { untilId: headId });
  if (!walked.ok) return { ok: false, verdict: walked, problem: walked.problem ?? '' };
  const fields: CheckpointFields = {
    eventCount: walked.end.count,
    lastEventId: walked.end.afterId,
    lastHash: walked.end.prevHash,
    createdAt: ctx.now(),
    keyId: keys.keyId,
  };
  return db.transaction(async (tx) => {
    await tx.execute(checkpointLock);
    const [newest] = await tx
      .select()
      .from(auditCheckpoints)
      .orderBy(desc(auditCheckpoints.id))
      .limit(1);
    // Another process signed as far, or further, while we walked: theirs stands.
    if (
      newest &&
      !options.force &&
      newest.lastEventId >= fields.lastEventId &&
      checkpointSignatureHolds(keys, newest)
    ) {
      return { ok: true as const, checkpoint: newest, created: false };
    }
    const [row] = await tx
      .insert(auditCheckpoints)
      .values({ ...fields, signature: signCheckpoint(keys, fields) })
      .returning();
    if (!row) throw new Error('checkpoint insert returned no row');
    return { ok: true as const, checkpoint: row, created: true };
  });
}

/** A checkpoint as published: its fields, the text signed, and the key to check it with. */
export function publishedCheckpoint(c: Checkpoint, keys: Pick<AuditKeys, 'unkeyedEvents'>) {
  return {
    id: c.id,
    eventCount: c.eventCount,
    lastEventId: c.lastEventId,
    lastHash: c.lastHash,
    createdAt: c.createdAt.toISOString(),
    keyId: c.keyId,
    unkeyedEvents: keys.unkeyedEvents,
    signature: c.signature,
    signedText: checkpointText(c, keys.unkeyedEvents),
  };
}
