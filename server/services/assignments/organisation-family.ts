import { organisations } from '../../../db/schema/organisations.ts';
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
