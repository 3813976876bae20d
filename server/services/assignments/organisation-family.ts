import { eq } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { ValidationError } from '../../errors.ts';
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
  const rows = await ctx.db
    .select({ odsCode: organisations.odsCode, parent: organisations.parentOdsCode })
    .from(organisations);
  const parent = new Map(rows.map((r) => [r.odsCode, r.parent]));
  const ancestors = (code: string) => {
    const chain = [code];
    for (let p = parent.get(code); p; p = parent.get(p)) chain.push(p);
    return chain;
  };
  const positionLine = ancestors(positionOds);
  return personOds.some(
    (code) => positionLine.includes(code) || ancestors(code).includes(positionOds),
  );
}

/**
 * Refuses a position of another organisation: the rule behind assigning and requesting
 * alike, so both say the same thing.
 */
export async function assertPositionFitsPerson(
  ctx: ServiceContext,
  personId: string,
  position: { name: string; odsCode: string },
): Promise<void> {
  const orgs = await ctx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(eq(personOrganisations.personId, personId));
  const personOds = orgs.map((o) => o.odsCode);
  if (!(await positionFitsPerson(ctx, position.odsCode, personOds))) {
    throw new ValidationError(
      `The position "${position.name}" belongs to ${position.odsCode}, and this person works for ${personOds.join(', ') || 'no organisation'}.`,
      [{ field: 'positionId', message: 'is a position of another organisation' }],
    );
  }
}
