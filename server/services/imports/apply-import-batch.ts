import { and, asc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { accounts } from '../../../db/schema/accounts.ts';
import { importRows, imports } from '../../../db/schema/imports.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { actorOf } from '../auth/sessions.ts';
import type { CardReason } from '../cards/card-lifecycle.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { applyEsrRows } from './apply-esr-rows.ts';
import { applyCancellationRows } from './card-cancellations.ts';
import { importPermission } from './import-view.ts';
import { pgArray } from './pg-array.ts';

/** Rows applied in one transaction unless the caller says otherwise. */
export const defaultBatchSize = 2000;

export interface BatchResult {
  /** Whether rows remain without an outcome: call again. */
  more: boolean;
  done: number;
  rowCount: number;
}

/**
 * Applies the next batch of an import that is being applied (`startImportApply` set it
 * going): the first `batchSize` rows without an outcome, planned again and applied, their
 * outcomes and the import's counters written, and one audit event, all in ONE transaction.
 * So a process killed mid-batch leaves the batch as it was, and the next call (from any
 * process) starts there: nothing is applied twice. Two callers at once take turns on the
 * import's row lock. It acts as the account that applied the import, with that account's
 * roles as they are now, whoever calls it: a queue worker needs only the import's id.
 *
 * This is the seam for the job queue: one job = `applyImportBatch` until `more` is false
 * (see run-import.ts).
 */
export async function applyImportBatch(
  ctx: ServiceContext,
  importId: string,
  batchSize = defaultBatchSize,
): Promise<BatchResult> {
  return withTransaction(ctx, async (outer) => {
    const [imp] = await outer.db
      .select()
      .from(imports)
      .where(eq(imports.id, importId))
      .for('update');
    if (!imp) throw new NotFoundError('There is no such import.');
    const result = (more: boolean, done: number) => ({ more, done, rowCount: imp.rowCount });
    if (imp.status === 'applied') return result(false, imp.done);
    if (imp.status !== 'applying' || !imp.appliedBy) {
      throw new ConflictError('This import has not been applied yet: apply it first.');
    }
    const [account] = await outer.db
      .select({ username: accounts.username })
      .from(accounts)
      .where(eq(accounts.id, imp.appliedBy));
    const actor = await actorOf(outer, imp.appliedBy, account?.username ?? 'unknown');
    const tx = { ...outer, actor, memo: new Map() } as TxContext;
    // An ESR row as the dry run kept it (`parsed`); a card by its serial (`fields`).
    const readPending = (before: number | null) =>
      tx.db
        .select({
          line: importRows.line,
          ...(imp.kind === 'esr'
            ? {
                parsed: importRows.parsed,
                // Only a row staged before `parsed` was kept needs its fields read again.
                fields:
                  sql`case when ${importRows.parsed} is null and ${importRows.plan} <> 'refuse'
                                 then ${importRows.fields} end`.mapWith(
                    (v: unknown) =>
                      (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, string>,
                  ),
              }
            : { fields: importRows.fields }),
          plan: importRows.plan,
          message: importRows.message,
        })
        .from(importRows)
        .where(
          and(
            eq(importRows.importId, importId),
            gt(importRows.line, imp.appliedThroughLine),
            before === null ? undefined : lt(importRows.line, before),
            isNull(importRows.outcome),
          ),
        )
        .orderBy(asc(importRows.line))
        .limit(batchSize);
    // A file's records are on consecutive lines but for a record spanning lines or a blank
    // line: the next batch is almost always within twice its size in lines. Bounded so,
    // the query reads those lines alone, however the planner estimates the rows left (a
    // fresh import's statistics say few, and an unbounded range read every row left, each
    // batch). A short answer may mean a gap: then the unbounded query.
    let pending = await readPending(imp.appliedThroughLine + 2 * batchSize + 1);
    if (pending.length < batchSize) pending = await readPending(null);
    const outcomes =
      imp.kind === 'esr'
        ? await applyEsrRows(tx, importId, pending)
        : await applyCancellationRows(tx, (imp.reason ?? 'left') as CardReason, pending);
    const staged = new Map(pending.map((p) => [p.line, p.message]));
    const unwritten = outcomes.filter((o) => !o.written);
    if (unwritten.length) {
      // One parameter a column; a message as the dry run staged it is not sent back.
      await tx.db.execute(sql`
        update import_rows r
           set outcome = u.outcome, outcome_message = coalesce(u.message, r.message),
               person_id = coalesce(u.person_id, r.person_id)
          from unnest(${pgArray(unwritten.map((o) => o.line))}::int[],
                      ${pgArray(unwritten.map((o) => o.outcome))}::text[],
                      ${pgArray(unwritten.map((o) => (o.message === staged.get(o.line) ? null : o.message)))}::text[],
                      ${pgArray(unwritten.map((o) => o.personId))}::uuid[])
               as u(line, outcome, message, person_id)
         where r.import_id = ${importId}::uuid and r.line = u.line
           and r.line between ${unwritten.reduce((m, o) => Math.min(m, o.line), Number.POSITIVE_INFINITY)}
                          and ${unwritten.reduce((m, o) => Math.max(m, o.line), 0)}`);
    }
    const counted = { ...imp.outcomes };
    const batch: Record<string, number> = {};
    for (const o of outcomes) {
      counted[o.outcome] = (counted[o.outcome] ?? 0) + 1;
      batch[o.outcome] = (batch[o.outcome] ?? 0) + 1;
    }
    const done = imp.done + outcomes.length;
    const finished = outcomes.length < batchSize || done >= imp.rowCount;
    const now = tx.now();
    await tx.db
      .update(imports)
      .set({
        done,
        outcomes: counted,
        appliedThroughLine: Math.max(imp.appliedThroughLine, ...outcomes.map((o) => o.line)),
        ...(finished ? { status: 'applied' as const, finishedAt: now } : {}),
      })
      .where(eq(imports.id, importId));
    if (outcomes.length) {
      const lines = outcomes.map((o) => o.line);
      await recordAuditEvent(tx, {
        action: 'import.batch_applied',
        subjectType: 'import',
        subjectId: importId,
        summary: {
          kind: imp.kind,
          fromLine: Math.min(...lines),
          toLine: Math.max(...lines),
          outcomes: batch,
        },
      });
    }
    if (finished) {
      await recordAuditEvent(tx, {
        action: 'import.applied',
        subjectType: 'import',
        subjectId: importId,
        summary: { kind: imp.kind, fileName: imp.fileName, rows: imp.rowCount, outcomes: counted },
      });
    }
    return result(!finished, done);
  });
}

/**
 * Sets a checked import going (or an import left half-applied by a process that died going
 * again): records who applied it and when, audited. The batches are applied by
 * `runImport` (in process now; a queue job later). Applying one applied already is refused.
 */
export async function startImportApply(ctx: ServiceContext, importId: string) {
  return withTransaction(ctx, async (tx) => {
    const [imp] = await tx.db.select().from(imports).where(eq(imports.id, importId)).for('update');
    if (!imp) throw new NotFoundError('There is no such import.');
    if (imp.status === 'applied') {
      throw new ConflictError(
        'This import is applied already. To apply the same file again, upload it again: its dry run shows what is left to do.',
      );
    }
    if (imp.status === 'applying') return { resumed: true };
    if (imp.createdBy !== ctx.actor?.accountId) {
      // Applying re-plans every row as the one who applies: an RA reaching only some of the
      // import's organisations would have the others' rows refused for good.
      const scope = (await actorScope(tx)).of(importPermission[imp.kind]);
      const outside = scope.all ? [] : imp.odsCodes.filter((code) => !scope.odsCodes.has(code));
      if (outside.length) {
        throw new ForbiddenError(
          `This import also names ${outside.join(', ')}, which you do not manage: its maker, or an RA for all its organisations, applies it.`,
        );
      }
    }
    await tx.db
      .update(imports)
      .set({
        status: 'applying',
        appliedBy: ctx.actor?.accountId ?? null,
        applyStartedAt: tx.now(),
      })
      .where(eq(imports.id, importId));
    await recordAuditEvent(tx, {
      action: 'import.apply_started',
      subjectType: 'import',
      subjectId: importId,
      summary: { kind: imp.kind, fileName: imp.fileName, rows: imp.rowCount, planned: imp.planned },
    });
    return { resumed: false };
  });
}
