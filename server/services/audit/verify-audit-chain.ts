import { asc, gt } from 'drizzle-orm';
import { auditEvents } from '../../../db/schema/audit.ts';
import type { ServiceContext } from '../context.ts';
import { auditHash, genesisHash } from './audit-hash.ts';

export interface ChainVerdict {
  ok: boolean;
  /** How many events were checked (up to and including the first broken one). */
  checked: number;
  /** The first event whose hash or link does not hold; null when the chain is whole. */
  firstBrokenId: number | null;
}

const batchSize = 1000;

/** Walks the whole trail in order, recomputing every hash and every link. */
export async function verifyAuditChain(ctx: ServiceContext): Promise<ChainVerdict> {
  let prevHash = genesisHash;
  let afterId = 0;
  let checked = 0;
  for (;;) {
    const rows = await ctx.db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.id, afterId))
      .orderBy(asc(auditEvents.id))
      .limit(batchSize);
    for (const row of rows) {
      checked += 1;
      const expected = auditHash(prevHash, {
        occurredAt: row.occurredAt,
        actorAccountId: row.actorAccountId,
        actorUsername: row.actorUsername,
        action: row.action,
        subjectType: row.subjectType,
        subjectId: row.subjectId,
        summary: row.summary,
        requestId: row.requestId,
        address: row.address,
      });
      if (row.prevHash !== prevHash || row.hash !== expected) {
        return { ok: false, checked, firstBrokenId: row.id };
      }
      prevHash = row.hash;
      afterId = row.id;
    }
    if (rows.length < batchSize) return { ok: true, checked, firstBrokenId: null };
  }
}
