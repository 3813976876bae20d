import { and, count, desc, eq, gt, max } from 'drizzle-orm';
import type { Database } from '../../../db/client.ts';
import { auditEvents, auditVerifications } from '../../../db/schema/audit.ts';
import { NotFoundError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import type { AuditKeys } from './audit-keys.ts';
import { newestSignedCheckpoint, trailReaches } from './checkpoints.ts';
import { chainStart, walkChain } from './walk-chain.ts';

type VerificationRow = typeof auditVerifications.$inferSelect;

/** A running verification whose process has not reported for this long has died. */
const staleAfterMs = 120_000;

/** A verification as the API shows it: `abandoned` when its process stopped reporting. */
export function verificationView(row: VerificationRow, now: Date) {
  const abandoned =
    row.status === 'running' && now.getTime() - row.updatedAt.getTime() > staleAfterMs;
  return {
    id: row.id,
    status: abandoned ? ('abandoned' as const) : row.status,
    checked: row.checked,
    total: row.total,
    legacyEvents: row.legacyEvents,
    firstBrokenId: row.firstBrokenId,
    problem: row.problem,
    startedAt: row.startedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

export type VerificationView = ReturnType<typeof verificationView>;

/**
 * Starts a full verification of the trail (every event from the first) in the background
 * and answers at once; its progress is kept in the database. While one is running, asking
 * again answers with that one rather than starting a second.
 */
export async function startFullVerification(
  ctx: ServiceContext,
): Promise<{ verification: VerificationView; started: boolean; done: Promise<void> }> {
  const now = ctx.now();
  const [running] = await ctx.db
    .select()
    .from(auditVerifications)
    .where(
      and(
        eq(auditVerifications.status, 'running'),
        gt(auditVerifications.updatedAt, new Date(now.getTime() - staleAfterMs)),
      ),
    )
    .orderBy(desc(auditVerifications.startedAt))
    .limit(1);
  if (running) {
    return {
      verification: verificationView(running, now),
      started: false,
      done: Promise.resolve(),
    };
  }
  const [head] = await ctx.db.select({ id: max(auditEvents.id), n: count() }).from(auditEvents);
  const headId = Number(head?.id ?? 0);
  const [row] = await ctx.db
    .insert(auditVerifications)
    .values({
      status: 'running',
      requestedBy: ctx.actor?.accountId ?? null,
      startedAt: now,
      updatedAt: now,
      total: Number(head?.n ?? 0),
      checked: 0,
    })
    .returning();
  if (!row) throw new Error('verification insert returned no row');
  const done = runFullVerification(ctx.db, ctx.auditKeys, ctx.now, row.id, headId).catch(
    async (err: unknown) => {
      await ctx.db
        .update(auditVerifications)
        .set({
          status: 'failed',
          problem: `The verification stopped: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown error'}`,
          updatedAt: ctx.now(),
          finishedAt: ctx.now(),
        })
        .where(eq(auditVerifications.id, row.id))
        .catch(() => {});
    },
  );
  return { verification: verificationView(row, now), started: true, done };
}

async function runFullVerification(
  db: Database,
  keys: AuditKeys,
  now: () => Date,
  id: string,
  headId: number,
) {
  const walk = await walkChain(db, keys, chainStart, {
    untilId: headId,
    onBatch: async (progress) => {
      await db
        .update(auditVerifications)
        .set({ checked: progress.checked, legacyEvents: progress.legacyEvents, updatedAt: now() })
        .where(eq(auditVerifications.id, id));
    },
  });
  let { ok, problem, firstBrokenId } = walk;
  if (ok) {
    // The whole trail holds from its first event; it must also still reach the newest
    // checkpoint it had when we started (else its newest events were deleted).
    const { checkpoint } = await newestSignedCheckpoint(db, keys);
    if (checkpoint) {
      const reach = await trailReaches(db, checkpoint);
      if (!reach.reached) {
        ok = false;
        problem = reach.problem;
        firstBrokenId = checkpoint.lastEventId;
      }
    }
  }
  await db
    .update(auditVerifications)
    .set({
      status: ok ? 'intact' : 'broken',
      checked: walk.checked,
      legacyEvents: walk.legacyEvents,
      firstBrokenId,
      problem,
      updatedAt: now(),
      finishedAt: now(),
    })
    .where(eq(auditVerifications.id, id));
}

export async function getVerification(ctx: ServiceContext, id: string): Promise<VerificationView> {
  const [row] = await ctx.db.select().from(auditVerifications).where(eq(auditVerifications.id, id));
  if (!row) throw new NotFoundError('There is no such verification.');
  return verificationView(row, ctx.now());
}
