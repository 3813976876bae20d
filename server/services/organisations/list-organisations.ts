import { asc } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import type { ServiceContext } from '../context.ts';

/** Every organisation, by ODS code: a trust, then its sites, sort together. */
export async function listOrganisations(ctx: ServiceContext) {
  return ctx.db.select().from(organisations).orderBy(asc(organisations.odsCode));
}
