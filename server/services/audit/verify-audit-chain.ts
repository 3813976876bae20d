import { desc } from 'drizzle-orm';
import { auditVerifications } from '../../../db/schema/audit.ts';
import type { ServiceContext } from '../context.ts';
import {
  type CheckpointFields,
  checkpointSignatureHolds,
  newestSignedCheckpoint,
  positionAt,
  trailReaches,
} from './checkpoints.ts';
import { verificationView } from './full-verification.ts';
import { chainStart, walkChain } from './walk-chain.ts';

export interface ChainVerdict {
  ok: boolean;
  /** How many events were checked (up to and including the first broken one). */
  checked: number;
  /** The first event whose hash or link does not hold; null when the chain is whole. */
  firstBrokenId: number | null;
  /** What is wrong, in words; null when all holds. */
  problem: string | null;
  /** Early plain SHA-256 events accepted on this walk (only ever before the first keyed one). */
  legacyEvents: number;
  /** The stored checkpoint the walk started from (events up to it were vouched for when it was signed); null: from the first event. */
  from: { checkpointId: number; lastEventId: number; eventCount: number; createdAt: string } | null;
  /** Stored checkpoints newer than `from` whose signature does not hold (forged). */
  forgedCheckpoints: number;
  /** The checkpoint the caller gave, if any: is its signature ours, and does the trail still reach it? */
  checkpoint: { signatureValid: boolean; reached: boolean; problem: string | null } | null;
  /** The newest full verification (POST /api/audit/verifications), if any. */
  lastFullVerification: ReturnType<typeof verificationView> | null;
}

/**
 * Verifies the trail incrementally: from the newest stored checkpoint that this key signed
 * and that the trail still reaches, walking forward only. A signed checkpoint the trail no
 * longer reaches is a break (a deleted tail, or a rewritten chain). With `given` (a
 * checkpoint a monitor kept), also says whether the trail still reaches that one.
 */
export async function verifyAuditChain(
  ctx: ServiceContext,
  given?: CheckpointFields & { signature: string },
): Promise<ChainVerdict> {
  const { db, auditKeys: keys } = ctx;
  const [latestFull] = await db
    .select()
    .from(auditVerifications)
    .orderBy(desc(auditVerifications.startedAt))
    .limit(1);
  const base = {
    legacyEvents: 0,
    from: null,
    forgedCheckpoints: 0,
    checkpoint: null,
    lastFullVerification: latestFull ? verificationView(latestFull, ctx.now()) : null,
  };
  const { checkpoint: anchor, skipped } = await newestSignedCheckpoint(db, keys);
  let verdict: ChainVerdict;
  let reachedAnchor: CheckpointFields | null = null;
  if (anchor) {
    // Its event must still have its hash; the walk from it finds any later deletion.
    const reach = await trailReaches(db, anchor, 'skip');
    reachedAnchor = reach.reached ? anchor : null;
    const from = {
      checkpointId: anchor.id,
      lastEventId: anchor.lastEventId,
      eventCount: anchor.eventCount,
      createdAt: anchor.createdAt.toISOString(),
    };
    if (!reach.reached) {
      verdict = {
        ...base,
        ok: false,
        checked: 0,
        firstBrokenId: anchor.lastEventId,
        problem: reach.problem,
        from,
        forgedCheckpoints: skipped,
      };
    } else {
      const walk = await walkChain(db, keys, positionAt(anchor, reach.keyed));
      verdict = { ...base, ...walkFields(walk), from, forgedCheckpoints: skipped };
    }
  } else {
    const walk = await walkChain(db, keys, chainStart);
    verdict = { ...base, ...walkFields(walk), forgedCheckpoints: skipped };
  }
  if (given) {
    const signatureValid = checkpointSignatureHolds(keys, given);
    // Counted from the stored checkpoint the trail reaches, so only the events between.
    const reach = signatureValid
      ? await trailReaches(db, given, reachedAnchor)
      : {
          reached: false,
          problem:
            'The checkpoint given is not signed by this server’s audit key under its AUDIT_UNKEYED_EVENTS setting: check that it was copied whole, and that the setting was not changed since.',
        };
    verdict.checkpoint = { signatureValid, reached: reach.reached, problem: reach.problem };
    if (!reach.reached) {
      verdict.ok = false;
      verdict.problem ??= reach.problem;
      if (signatureValid) verdict.firstBrokenId ??= given.lastEventId;
    }
  }
  return verdict;
}

function walkFields(walk: Awaited<ReturnType<typeof walkChain>>) {
  return {
    ok: walk.ok,
    checked: walk.checked,
    firstBrokenId: walk.firstBrokenId,
    problem: walk.problem,
    legacyEvents: walk.legacyEvents,
  };
}
