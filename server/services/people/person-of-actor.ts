import { eq } from 'drizzle-orm';
import { people } from '../../../db/schema/people.ts';
import type { ServiceContext } from '../context.ts';

/** The person record linked to the caller's account, if there is one. */
export async function personIdOfActor(ctx: ServiceContext): Promise<string | null> {
  if (!ctx.actor) return null;
  const [row] = await ctx.db
    .select({ id: people.id })
    .from(people)
    .where(eq(people.accountId, ctx.actor.accountId));
  return row?.id ?? null;
}
