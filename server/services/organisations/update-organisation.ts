import { and, count, eq } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { assertInScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { findOrganisation } from './find-organisation.ts';
import { getOrganisation } from './get-organisation.ts';

export interface UpdateOrganisationInput {
  name?: string | undefined;
  status?: 'active' | 'closed' | undefined;
}

/**
 * Renames, closes or reopens an organisation the caller manages. Closing waits until its
 * sites and positions are closed, so nothing open is left under a closed organisation;
 * reopening a site needs its parent open.
 */
export async function updateOrganisation(
  ctx: ServiceContext,
  odsCode: string,
  input: UpdateOrganisationInput,
) {
  return withTransaction(ctx, async (tx) => {
    const current = await findOrganisation(tx, odsCode, { lock: true });
    if (!current) throw new NotFoundError(`There is no organisation ${odsCode}.`);
    await assertInScope(tx, 'organisations:manage', odsCode, 'organisations');
    const changes: Record<string, { from: string; to: string }> = {};
    if (input.name !== undefined && input.name !== current.name) {
      changes.name = { from: current.name, to: input.name };
    }
    if (input.status !== undefined && input.status !== current.status) {
      changes.status = { from: current.status, to: input.status };
      if (input.status === 'closed') await assertNothingOpenUnder(tx, current.odsCode);
      else await assertParentOpen(tx, current.parentOdsCode, current.odsCode);
    }
    if (Object.keys(changes).length === 0) return getOrganisation(tx, odsCode);
    await tx.db
      .update(organisations)
      .set({ name: input.name ?? current.name, status: input.status ?? current.status })
      .where(eq(organisations.odsCode, odsCode));
    await recordAuditEvent(tx, {
      action: 'organisation.updated',
      subjectType: 'organisation',
      subjectId: odsCode,
      summary: { changes },
    });
    return getOrganisation(tx, odsCode);
  });
}

async function assertNothingOpenUnder(ctx: ServiceContext, odsCode: string) {
  const openSites = await ctx.db
    .select({ odsCode: organisations.odsCode })
    .from(organisations)
    .where(and(eq(organisations.parentOdsCode, odsCode), eq(organisations.status, 'active')));
  const [openPositions] = await ctx.db
    .select({ n: count() })
    .from(positions)
    .where(and(eq(positions.odsCode, odsCode), eq(positions.status, 'active')));
  const blockers: string[] = [];
  if (openSites.length) {
    const codes = openSites.map((s) => s.odsCode).join(', ');
    blockers.push(
      openSites.length === 1 ? `its site ${codes} is open` : `its sites ${codes} are open`,
    );
  }
  if (openPositions && openPositions.n > 0) {
    blockers.push(
      `${openPositions.n} of its positions ${openPositions.n === 1 ? 'is' : 'are'} open`,
    );
  }
  if (blockers.length) {
    throw new ConflictError(
      `${odsCode} cannot be closed yet: ${blockers.join(', and ')}. Close those first.`,
      { openSites: openSites.map((s) => s.odsCode), openPositions: openPositions?.n ?? 0 },
    );
  }
}

async function assertParentOpen(
  ctx: ServiceContext,
  parentOdsCode: string | null,
  odsCode: string,
) {
  if (!parentOdsCode) return;
  const parent = await findOrganisation(ctx, parentOdsCode);
  if (parent?.status === 'closed') {
    throw new ConflictError(
      `${odsCode} cannot be reopened while ${parentOdsCode} is closed: reopen ${parentOdsCode} first.`,
    );
  }
}
