import { eq } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import { assertInScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { getPosition } from './get-position.ts';
import { lockPosition } from './lock-position.ts';
import {
  assertPositionNameFree,
  normalisePositionContent,
  type PositionContent,
  positionContentProblems,
} from './position-content.ts';
import type { PositionView } from './position-view.ts';
import { writePositionLinks } from './write-position-links.ts';

type Field = keyof PositionContent;

const sameValue = (a: PositionContent[Field], b: PositionContent[Field]) =>
  Array.isArray(a) && Array.isArray(b)
    ? a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n')
    : a === b;

/**
 * Edits an open position of an organisation the caller manages. Fields left out keep their
 * value; the audit event records each field that changed, from and to. An edit that
 * changes nothing writes nothing.
 */
export async function updatePosition(
  ctx: ServiceContext,
  id: string,
  changes: Partial<PositionContent>,
): Promise<PositionView> {
  return withTransaction(ctx, async (tx) => {
    const row = await lockPosition(tx, id);
    await assertInScope(tx, 'positions:manage', row.odsCode, 'positions');
    if (row.status === 'closed') {
      throw new ConflictError(`"${row.name}" is closed, and a closed position cannot be edited.`);
    }
    const before = await getPosition(tx, id);
    const current: PositionContent = {
      name: before.name,
      jobRoles: before.jobRoles.map((r) => r.code),
      activities: before.activities.map((a) => a.code),
      workgroupIds: before.workgroups.map((w) => w.id),
      systems: before.systems,
      assignable: before.assignable,
    };
    const next = normalisePositionContent({ ...current, ...definedOnly(changes) });
    const changed = (Object.keys(next) as Field[]).filter((f) => !sameValue(current[f], next[f]));
    if (changed.length === 0) return before;
    // The lists as sent, so each problem names the entry of the request at fault.
    const problems = await positionContentProblems(tx, row.odsCode, changes);
    if (problems.length) throw ValidationError.of(problems);
    if (changed.includes('name')) await assertPositionNameFree(tx, row.odsCode, next.name, id);
    await tx.db
      .update(positions)
      .set({
        name: next.name,
        systems: next.systems,
        assignable: next.assignable,
        updatedAt: ctx.now(),
      })
      .where(eq(positions.id, id));
    if (changed.some((f) => f === 'jobRoles' || f === 'activities' || f === 'workgroupIds')) {
      await writePositionLinks(tx, id, next);
    }
    await recordAuditEvent(tx, {
      action: 'position.updated',
      subjectType: 'position',
      subjectId: id,
      summary: {
        odsCode: row.odsCode,
        changes: Object.fromEntries(changed.map((f) => [f, { from: current[f], to: next[f] }])),
      },
    });
    return getPosition(tx, id);
  });
}

function definedOnly(changes: Partial<PositionContent>): Partial<PositionContent> {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
}
