import { positions } from '../../../db/schema/access.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import { assertInScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { findOrganisation } from '../organisations/find-organisation.ts';
import { getPosition } from './get-position.ts';
import {
  assertPositionContent,
  assertPositionNameFree,
  normalisePositionContent,
  type PositionContent,
} from './position-content.ts';
import type { PositionView } from './position-view.ts';
import { writePositionLinks } from './write-position-links.ts';

export type CreatePositionInput = PositionContent & { odsCode: string };

/**
 * Creates a position of one open organisation, for an RA manager or advanced agent who
 * manages that organisation (the route has checked the permission; this checks the scope).
 */
export async function createPosition(
  ctx: ServiceContext,
  input: CreatePositionInput,
): Promise<PositionView> {
  const content = normalisePositionContent(input);
  return withTransaction(ctx, async (tx) => {
    // Locked so the organisation cannot be closed while a position is added to it.
    const org = await findOrganisation(tx, input.odsCode, { lock: true });
    if (!org) {
      throw new ValidationError(`There is no organisation ${input.odsCode}.`, [
        { field: 'odsCode', message: `is not a known ODS code` },
      ]);
    }
    await assertInScope(tx, 'positions:manage', org.odsCode, 'positions');
    if (org.status === 'closed') {
      throw new ConflictError(
        `${org.odsCode} is closed: a closed organisation has no new positions.`,
      );
    }
    await assertPositionContent(tx, org.odsCode, content);
    await assertPositionNameFree(tx, org.odsCode, content.name);
    const now = ctx.now();
    const [row] = await tx.db
      .insert(positions)
      .values({
        odsCode: org.odsCode,
        name: content.name,
        systems: content.systems,
        assignable: content.assignable,
        createdAt: now,
        createdBy: ctx.actor?.accountId ?? null,
        updatedAt: now,
      })
      .returning({ id: positions.id });
    if (!row) throw new Error('position insert returned no row');
    await writePositionLinks(tx, row.id, content);
    await recordAuditEvent(tx, {
      action: 'position.created',
      subjectType: 'position',
      subjectId: row.id,
      summary: { odsCode: org.odsCode, ...content },
    });
    return getPosition(tx, row.id);
  });
}
