import { eq } from 'drizzle-orm';
import { people } from '../../../db/schema/people.ts';
import { onceARequest } from '../actor-memo.ts';
import type { ServiceContext } from '../context.ts';

const memoKey = Symbol('person of actor');

/**
 * The person record linked to the caller's account, if there is one: asked once per request
 * (a worklist's sections ask it five times; an account's person never changes within one).
 */
export function personIdOfActor(ctx: ServiceContext): Promise<string | null> {
  const actor = ctx.actor;
  if (!actor) return Promise.resolve(null);
  // Read with the session where it was (auth/sessions.ts).
  if (actor.known) return Promise.resolve(actor.known.personId);
  return onceARequest(ctx, memoKey, actor, async () => {
    const [row] = await ctx.db
      .select({ id: people.id })
      .from(people)
      .where(eq(people.accountId, actor.accountId));
    return row?.id ?? null;
  });
}
