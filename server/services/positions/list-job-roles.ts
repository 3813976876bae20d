import { asc } from 'drizzle-orm';
import { jobRoles } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';

/** The national RBAC job roles (R-codes), by code. */
export async function listJobRoles(ctx: ServiceContext) {
  return ctx.db
    .select({ code: jobRoles.code, name: jobRoles.name })
    .from(jobRoles)
    .orderBy(asc(jobRoles.code));
}
