import { and, eq, isNull, sql } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../errors.ts';
import { inScope, organisationScope } from '../access/organisation-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import {
  assertPositionContent,
  type PositionContent,
  writePositionLinks,
} from './position-input.ts';
import { selectPositions } from './position-view.ts';

async function assertManages(ctx: ServiceContext, odsCode: string) {
  if (!inScope(await organisationScope(ctx, 'positions:manage'), odsCode)) {
    throw new ForbiddenError(
      `You manage positions of your own organisations only, not ${odsCode}.`,
    );
  }
}

async function assertNameFree(ctx: ServiceContext, odsCode: string, name: string, except?: string) {
  const [clash] = await ctx.db
    .select({ id: positions.id })
    .from(positions)
    .where(
      and(
        eq(positions.odsCode, odsCode),
        eq(sql`lower(${positions.name})`, name.toLowerCase()),
        eq(positions.status, 'active'),
      ),
    );
  if (clash && clash.id !== except) {
    throw new ConflictError(`${odsCode} already has an open position called "${name}".`);
  }
}

async function loadPosition(ctx: ServiceContext, id: string) {
  const [row] = await ctx.db.select().from(positions).where(eq(positions.id, id)).for('update');
  if (!row) throw new NotFoundError('There is no such position.');
  return row;
}

/** Creates a position of one organisation. RA managers and advanced agents only. */
export async function createPosition(
  ctx: ServiceContext,
  input: PositionContent & { odsCode: string },
) {
  const [org] = await ctx.db
    .select()
    .from(organisations)
    .where(eq(organisations.odsCode, input.odsCode));
  if (!org) {
    throw new ValidationError(`There is no organisation ${input.odsCode}.`, [
      { field: 'odsCode', message: `unknown ODS code ${input.odsCode}` },
    ]);
  }
  await assertManages(ctx, input.odsCode);
  return withTransaction(ctx, async (tx) => {
    await assertPositionContent(tx, input.odsCode, input);
    await assertNameFree(tx, input.odsCode, input.name);
    const now = ctx.now();
    const [row] = await tx.db
      .insert(positions)
      .values({
        odsCode: input.odsCode,
        name: input.name,
        systems: [...new Set(input.systems)],
        assignable: input.assignable,
        createdAt: now,
        createdBy: ctx.actor?.accountId ?? null,
        updatedAt: now,
      })
      .returning({ id: positions.id });
    if (!row) throw new Error('position insert returned no row');
    await writePositionLinks(tx, row.id, input);
    await recordAuditEvent(tx, {
      action: 'position.created',
      subjectType: 'position',
      subjectId: row.id,
      summary: { ...input },
    });
    const [view] = await selectPositions(tx, eq(positions.id, row.id));
    return view;
  });
}

/** Edits an open position; what changed is audited. */
export async function updatePosition(
  ctx: ServiceContext,
  id: string,
  changes: Partial<PositionContent>,
) {
  return withTransaction(ctx, async (tx) => {
    const current = await loadPosition(tx, id);
    await assertManages(tx, current.odsCode);
    if (current.status === 'closed')
      throw new DomainError('CONFLICT', `"${current.name}" is closed and cannot be edited.`);
    const [before] = await selectPositions(tx, eq(positions.id, id));
    if (!before) throw new NotFoundError('There is no such position.');
    const next = {
      name: changes.name ?? before.name,
      jobRoles: changes.jobRoles ?? before.jobRoles.map((r) => r.code),
      activities: changes.activities ?? before.activities.map((a) => a.code),
      workgroupIds: changes.workgroupIds ?? before.workgroups.map((w) => w.id),
      systems: changes.systems ?? (before.systems as PositionContent['systems']),
      assignable: changes.assignable ?? before.assignable,
    };
    await assertPositionContent(tx, current.odsCode, next);
    if (changes.name) await assertNameFree(tx, current.odsCode, changes.name, id);
    await tx.db
      .update(positions)
      .set({
        name: next.name,
        systems: [...new Set(next.systems)],
        assignable: next.assignable,
        updatedAt: ctx.now(),
      })
      .where(eq(positions.id, id));
    await writePositionLinks(tx, id, next);
    await recordAuditEvent(tx, {
      action: 'position.updated',
      subjectType: 'position',
      subjectId: id,
      summary: { changed: Object.keys(changes), ...changes },
    });
    const [view] = await selectPositions(tx, eq(positions.id, id));
    return view;
  });
}

/** Closes a position with a reason; every open assignment of it ends in the same transaction. */
export async function closePosition(ctx: ServiceContext, id: string, reason: string) {
  return withTransaction(ctx, async (tx) => {
    const current = await loadPosition(tx, id);
    await assertManages(tx, current.odsCode);
    if (current.status === 'closed')
      throw new DomainError('CONFLICT', `"${current.name}" is already closed.`);
    const now = ctx.now();
    await tx.db
      .update(positions)
      .set({
        status: 'closed',
        closedReason: reason,
        closedAt: now,
        closedBy: ctx.actor?.accountId ?? null,
        updatedAt: now,
      })
      .where(eq(positions.id, id));
    const ended = await tx.db
      .update(assignments)
      .set({
        endedAt: now,
        endReason: 'position_closed',
        endNote: reason,
        endedBy: ctx.actor?.accountId ?? null,
      })
      .where(and(eq(assignments.positionId, id), isNull(assignments.endedAt)))
      .returning({ id: assignments.id, personId: assignments.personId });
    await recordAuditEvent(tx, {
      action: 'position.closed',
      subjectType: 'position',
      subjectId: id,
      summary: { name: current.name, reason, assignmentsEnded: ended.length },
    });
    for (const a of ended) {
      await recordAuditEvent(tx, {
        action: 'assignment.ended',
        subjectType: 'person',
        subjectId: a.personId,
        summary: { assignmentId: a.id, position: current.name, reason: 'position_closed' },
      });
    }
    const [view] = await selectPositions(tx, eq(positions.id, id));
    return { position: view, assignmentsEnded: ended.length };
  });
}
