import { asc, eq } from 'drizzle-orm';
import { organisations, workgroups } from '../../../db/schema/organisations.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { inScope, organisationScope } from '../access/organisation-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';

export interface WorkgroupNode {
  id: string;
  name: string;
  status: string;
  children: WorkgroupNode[];
}

export async function listOrganisations(ctx: ServiceContext) {
  return ctx.db.select().from(organisations).orderBy(asc(organisations.odsCode));
}

/** An organisation's workgroups as a tree. */
export async function workgroupTree(
  ctx: ServiceContext,
  odsCode: string,
): Promise<WorkgroupNode[]> {
  const rows = await ctx.db
    .select()
    .from(workgroups)
    .where(eq(workgroups.odsCode, odsCode))
    .orderBy(asc(workgroups.name));
  const nodes = new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, name: r.name, status: r.status, children: [] as WorkgroupNode[] },
    ]),
  );
  const roots: WorkgroupNode[] = [];
  for (const r of rows) {
    const node = nodes.get(r.id);
    if (!node) continue;
    const parent = r.parentId ? nodes.get(r.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

export async function getOrganisation(ctx: ServiceContext, odsCode: string) {
  const [org] = await ctx.db.select().from(organisations).where(eq(organisations.odsCode, odsCode));
  if (!org) throw new NotFoundError(`There is no organisation ${odsCode}.`);
  return { ...org, workgroups: await workgroupTree(ctx, odsCode) };
}

/**
 * Adds an organisation. A site goes under a parent the caller manages; a new top-level
 * trust needs a role that covers every organisation.
 */
export async function createOrganisation(
  ctx: ServiceContext,
  input: { odsCode: string; name: string; parentOdsCode?: string | undefined },
) {
  const scope = await organisationScope(ctx, 'organisations:manage');
  if (!inScope(scope, input.parentOdsCode ?? '\0')) {
    throw new ForbiddenError(
      input.parentOdsCode
        ? `You manage ${[...(scope.all ? [] : scope.odsCodes)].join(', ') || 'no organisations'}, not ${input.parentOdsCode}.`
        : 'Only an RA manager for every organisation can add a new top-level organisation.',
    );
  }
  return withTransaction(ctx, async (tx) => {
    const [taken] = await tx.db
      .select()
      .from(organisations)
      .where(eq(organisations.odsCode, input.odsCode));
    if (taken) throw new ConflictError(`${input.odsCode} already exists: ${taken.name}.`);
    if (input.parentOdsCode) {
      const [parent] = await tx.db
        .select()
        .from(organisations)
        .where(eq(organisations.odsCode, input.parentOdsCode));
      if (!parent) {
        throw new ValidationError(`There is no organisation ${input.parentOdsCode}.`, [
          { field: 'parentOdsCode', message: `unknown ODS code ${input.parentOdsCode}` },
        ]);
      }
    }
    await tx.db.insert(organisations).values({
      odsCode: input.odsCode,
      name: input.name,
      parentOdsCode: input.parentOdsCode ?? null,
    });
    await recordAuditEvent(tx, {
      action: 'organisation.created',
      subjectType: 'organisation',
      subjectId: input.odsCode,
      summary: { ...input },
    });
    return getOrganisation(tx, input.odsCode);
  });
}

/** Adds a workgroup; sibling names must differ, whatever their case. */
export async function createWorkgroup(
  ctx: ServiceContext,
  odsCode: string,
  input: { name: string; parentId?: string | undefined },
) {
  const [org] = await ctx.db.select().from(organisations).where(eq(organisations.odsCode, odsCode));
  if (!org) throw new NotFoundError(`There is no organisation ${odsCode}.`);
  if (!inScope(await organisationScope(ctx, 'workgroups:manage'), odsCode)) {
    throw new ForbiddenError(
      `You manage workgroups of your own organisations only, not ${odsCode}.`,
    );
  }
  return withTransaction(ctx, async (tx) => {
    if (input.parentId) {
      const [parent] = await tx.db
        .select()
        .from(workgroups)
        .where(eq(workgroups.id, input.parentId));
      if (!parent || parent.odsCode !== odsCode) {
        throw new ValidationError(`The parent workgroup is not one of ${odsCode}'s.`, [
          { field: 'parentId', message: `is not a workgroup of ${odsCode}` },
        ]);
      }
    }
    const siblings = await tx.db.select().from(workgroups).where(eq(workgroups.odsCode, odsCode));
    if (
      siblings.some(
        (s) =>
          (s.parentId ?? null) === (input.parentId ?? null) &&
          s.name.toLowerCase() === input.name.toLowerCase(),
      )
    ) {
      throw new ConflictError(`There is already a workgroup called "${input.name}" there.`);
    }
    const [row] = await tx.db
      .insert(workgroups)
      .values({ odsCode, name: input.name, parentId: input.parentId ?? null })
      .returning({ id: workgroups.id });
    await recordAuditEvent(tx, {
      action: 'workgroup.created',
      subjectType: 'organisation',
      subjectId: odsCode,
      summary: { workgroupId: row?.id, name: input.name, parentId: input.parentId ?? null },
    });
    return workgroupTree(tx, odsCode);
  });
}
