import { positions } from '../../../db/schema/access.ts';
import { ConflictError, type FieldProblem, ValidationError } from '../../errors.ts';
import { assertInScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { findOrganisation } from '../organisations/find-organisation.ts';
import { getPosition } from './get-position.ts';
import {
  assertPositionNameFree,
  normalisePositionContent,
  type PositionContent,
  positionContentProblems,
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
    if (!org) throw ValidationError.of(await newPositionProblems(tx, input));
    await assertInScope(tx, 'positions:manage', org.odsCode, 'positions');
    if (org.status === 'closed') {
      throw new ConflictError(
        `${org.odsCode} is closed: a closed organisation has no new positions.`,
      );
    }
    const problems = await positionContentProblems(tx, org.odsCode, content);
    if (problems.length) throw ValidationError.of(problems);
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

/**
 * Everything wrong with a new position that the database tells: an organisation no one
 * has, codes not in the catalogue, workgroups of another organisation. For whichever fields
 * of the request are well formed, so a form hears of them with its format problems.
 */
export async function newPositionProblems(
  ctx: ServiceContext,
  input: Partial<CreatePositionInput>,
): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  let odsCode: string | null = null;
  if (input.odsCode !== undefined) {
    const org = await findOrganisation(ctx, input.odsCode);
    if (org) odsCode = org.odsCode;
    else {
      problems.push({
        field: 'odsCode',
        message: `No organisation has ODS code ${input.odsCode}`,
      });
    }
  }
  problems.push(...(await positionContentProblems(ctx, odsCode, input)));
  return problems;
}
