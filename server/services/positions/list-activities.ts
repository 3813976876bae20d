import { asc } from 'drizzle-orm';
import { activities } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';

/** The national RBAC activities (B-codes), by code. */
export async function listActivities(ctx: ServiceContext) {
  return ctx.db
    .select({ code: activities.code, name: activities.name })
    .from(activities)
    .orderBy(asc(activities.code));
}
