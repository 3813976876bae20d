import { eq } from 'drizzle-orm';
import { personOrganisations } from '../../../db/schema/people.ts';
import type { FieldProblem } from '../../errors.ts';
import { ancestorsOf } from '../access/organisation-tree.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Whether a position of `positionOds` fits a person working for `personOds`: the same
 * organisation, one of its sites, or the trust it belongs to. A position of another trust
 * does not.
 */
export async function positionFitsPerson(
  ctx: ServiceContext,
  positionOds: string,
  personOds: string[],
): Promise<boolean> {
  const lines = await ancestorsOf(ctx, [positionOds, ...personOds]);
  const positionLine = lines.get(positionOds);
  return personOds.some((code) => positionLine?.has(code) || lines.get(code)?.has(positionOds));
}

/**
 * A position of another organisation, as a problem with the request's `positionId`: the
 * rule behind assigning and requesting alike, so both say the same thing.
 */
export async function positionFitProblems(
  ctx: ServiceContext,
  personId: string,
  position: { name: string; odsCode: string },
): Promise<FieldProblem[]> {
  const orgs = await ctx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(eq(personOrganisations.personId, personId));
  const personOds = orgs.map((o) => o.odsCode);
  if (await positionFitsPerson(ctx, position.odsCode, personOds)) return [];
  return [
    {
      field: 'positionId',
      message: `Choose a position of this person's organisations: "${position.name}" belongs to ${position.odsCode}, and they work for ${personOds.join(', ') || 'no organisation'}`,
    },
  ];
}
