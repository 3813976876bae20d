import { and, asc, gt, lte } from 'drizzle-orm';
import type { Database } from '../../../db/client.ts';
import { auditEvents } from '../../../db/schema/audit.ts';
import { auditHash, genesisHash, keyedAuditHash } from './audit-hash.ts';
import type { AuditKeys } from './audit-keys.ts';

/** Where a walk along the chain stands: after which event, with which hash. */
export interface ChainPosition {
  /** The last event already trusted (0: before the first). */
  afterId: number;
  /** That event's hash (the genesis hash before the first). */
  prevHash: string;
  /** Whether a keyed (version-2) event has been seen: after one, a plain one is a break. */
  keyed: boolean;
  /** Events up to and including `afterId`. */
  count: number;
}

export const chainStart: ChainPosition = {
  afterId: 0,
  prevHash: genesisHash,
  keyed: false,
  count: 0,
};

export interface WalkResult {
  ok: boolean;
  /** Events checked on this walk (up to and including the first broken one). */
  checked: number;
  /** Plain SHA-256 (version-1) events accepted on this walk, as the trail's early prefix. */
  legacyEvents: number;
  firstBrokenId: number | null;
  /** Why the first broken event is broken, in words. */
  problem: string | null;
  /** Where the walk ended (at the last good event). */
  end: ChainPosition;
}

const defaultBatch = 5000;

/**
 * Walks the trail forward from `from`, recomputing every hash and every link: version-2
 * events with the chain key, version-1 events with plain SHA-256, and those only among
 * the first `keys.unkeyedEvents` events (a count from configuration, never from the
 * database) and before the first version-2 event. Stops at the first broken event, or
 * after `untilId`.
 */
export async function walkChain(
  db: Database,
  keys: Pick<AuditKeys, 'chainKey' | 'unkeyedEvents'>,
  from: ChainPosition,
  options: {
    untilId?: number;
    batchSize?: number;
    onBatch?: (progress: WalkResult) => Promise<void>;
  } = {},
): Promise<WalkResult> {
  const position = { ...from };
  let checked = 0;
  let legacyEvents = 0;
  const batchSize = options.batchSize ?? defaultBatch;
  const broken = (id: number, problem: string): WalkResult => ({
    ok: false,
    checked,
    legacyEvents,
    firstBrokenId: id,
    problem,
    end: position,
  });
  // async: a real promise, so the query runs once however often it is awaited.
  const fetchAfter = async (afterId: number) =>
    await db
      .select()
      .from(auditEvents)
      .where(
        options.untilId === undefined
          ? gt(auditEvents.id, afterId)
          : and(gt(auditEvents.id, afterId), lte(auditEvents.id, options.untilId)),
      )
      .orderBy(asc(auditEvents.id))
      .limit(batchSize);
  let next = fetchAfter(position.afterId);
  for (;;) {
    const rows = await next;
    // The database reads the next batch while we hash this one.
    const last = rows.at(-1);
    if (last && rows.length === batchSize) {
      next = fetchAfter(last.id);
      next.catch(() => {}); // awaited on the next turn; a break returns before it
    }
    for (const row of rows) {
      checked += 1;
      if (row.prevHash !== position.prevHash) {
        return broken(
          row.id,
          `Event ${row.id} does not follow the event before it: an event was deleted, inserted or rewritten there.`,
        );
      }
      const content = {
        occurredAt: row.occurredAt,
        actorAccountId: row.actorAccountId,
        actorUsername: row.actorUsername,
        actorWorkstationId: row.actorWorkstationId,
        action: row.action,
        subjectType: row.subjectType,
        subjectId: row.subjectId,
        summary: row.summary,
        requestId: row.requestId,
        address: row.address,
      };
      if (row.hashVersion === 2) {
        if (row.hash !== keyedAuditHash(keys.chainKey, row.prevHash, content)) {
          return broken(
            row.id,
            `Event ${row.id} does not match its keyed hash: it was changed after it was written, or written without the audit key.`,
          );
        }
        position.keyed = true;
      } else if (row.hashVersion === 1) {
        if (position.keyed) {
          return broken(
            row.id,
            `Event ${row.id} claims the early unkeyed hash after keyed events: the trail was rewritten from there.`,
          );
        }
        // This event is the trail's (count + 1)th; only the first `unkeyedEvents` may be unkeyed.
        if (position.count >= keys.unkeyedEvents) {
          return broken(row.id, unkeyedProblem(row.id, keys.unkeyedEvents));
        }
        if (row.actorWorkstationId !== null || row.hash !== auditHash(row.prevHash, content)) {
          return broken(
            row.id,
            `Event ${row.id} does not match its hash: it was changed after it was written.`,
          );
        }
        legacyEvents += 1;
      } else {
        return broken(row.id, `Event ${row.id} has an unknown hash version ${row.hashVersion}.`);
      }
      position.afterId = row.id;
      position.prevHash = row.hash;
      position.count += 1;
    }
    const progress: WalkResult = {
      ok: true,
      checked,
      legacyEvents,
      firstBrokenId: null,
      problem: null,
      end: position,
    };
    if (rows.length < batchSize) return progress;
    await options.onBatch?.(progress);
  }
}

/** Why an unkeyed event beyond the accepted count is a break, in words. */
export function unkeyedProblem(id: number, accepted: number): string {
  return `Event ${id} is unkeyed, but this deployment accepts only ${accepted} unkeyed event${accepted === 1 ? '' : 's'} (AUDIT_UNKEYED_EVENTS): the trail was rewritten without the audit key, or AUDIT_UNKEYED_EVENTS is set too low for an upgraded trail.`;
}
