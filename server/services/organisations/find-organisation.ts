import { eq } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import type { ServiceContext } from '../context.ts';

export type OrganisationRow = typeof organisations.$inferSelect;

/** The organisation with this ODS code, or undefined; `lock` holds its row to the transaction's end. */
export async function findOrganisation(
  ctx: ServiceContext,
  odsCode: string,
  options: { lock?: boolean } = {},
): Promise<OrganisationRow | undefined> {
  const query = ctx.db.select().from(organisations).where(eq(organisations.odsCode, odsCode));
  const [row] = options.lock ? await query.for('update') : await query;
  return row;
}
