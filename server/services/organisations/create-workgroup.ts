import { and, eq, isNull, sql } from 'drizzle-orm';
import { workgroups } from '../../../db/schema/organisations.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { assertInScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { findOrganisation } from './find-organisation.ts';
import { type WorkgroupNode, workgroupTree } from './workgroup-tree.ts';

export interface CreateWorkgroupInput {
  name: string;
  parentId?: string | undefined;
}

/**
 * Adds a workgroup to an organisation the caller manages, at the top of its tree or under
 * one of its own workgroups. Sibling names must differ whatever their case, or a clerk
 * could not tell them apart (the unique index `workgroups_sibling_name_uq` backs this up).
 * Returns the organisation's whole tree with the new workgroup in it.
 */
export async function createWorkgroup(
  ctx: ServiceContext,
  odsCode: string,
  input: CreateWorkgroupInput,
): Promise<{ id: string; tree: WorkgroupNode[] }> {
  return withTransaction(ctx, async (tx) => {
    const org = await findOrganisation(tx, odsCode);
    if (!org) throw new NotFoundError(`There is no organisation ${odsCode}.`);
    await assertInScope(tx, 'workgroups:manage', odsCode, 'workgroups');
    if (org.status === 'closed') {
      throw new ConflictError(`${odsCode} is closed: reopen it before adding workgroups.`);
    }
    if (input.parentId) {
      const [parent] = await tx.db
        .select()
        .from(workgroups)
        .where(eq(workgroups.id, input.parentId));
      if (!parent || parent.odsCode !== odsCode) {
        throw new ValidationError(`The parent workgroup is not one of ${odsCode}'s workgroups.`, [
          { field: 'parentId', message: `is not a workgroup of ${odsCode}` },
        ]);
      }
      if (parent.status === 'closed') {
        throw new ValidationError(`The parent workgroup "${parent.name}" is closed.`, [
          { field: 'parentId', message: 'is a closed workgroup' },
        ]);
      }
    }
    const [clash] = await tx.db
      .select({ name: workgroups.name })
      .from(workgroups)
      .where(
        and(
          eq(workgroups.odsCode, odsCode),
          input.parentId ? eq(workgroups.parentId, input.parentId) : isNull(workgroups.parentId),
          eq(sql`lower(${workgroups.name})`, sql`lower(${input.name})`),
        ),
      );
    if (clash) {
      throw new ConflictError(
        `There is already a workgroup called "${clash.name}" ${input.parentId ? 'beside it' : `at the top of ${odsCode}`}.`,
      );
    }
    const [row] = await tx.db
      .insert(workgroups)
      .values({ odsCode, name: input.name, parentId: input.parentId ?? null, createdAt: ctx.now() })
      .returning({ id: workgroups.id });
    if (!row) throw new Error('workgroup insert returned no row');
    await recordAuditEvent(tx, {
      action: 'workgroup.created',
      subjectType: 'organisation',
      subjectId: odsCode,
      summary: { workgroupId: row.id, name: input.name, parentId: input.parentId ?? null },
    });
    return { id: row.id, tree: await workgroupTree(tx, odsCode) };
  });
}
