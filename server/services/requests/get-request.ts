import { eq } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import { DomainError, NotFoundError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { noSuchRequest } from './request-rules.ts';
import { selectRequests } from './request-view.ts';

/** One request, to whoever raised it, is its subject, or may decide it; to others, 404. */
export async function getRequest(ctx: ServiceContext, requestId: string) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  const [view] = await selectRequests(ctx, eq(accessRequests.id, requestId), 1);
  const [row] = await ctx.db
    .select({ raisedBy: accessRequests.raisedBy, personId: accessRequests.personId })
    .from(accessRequests)
    .where(eq(accessRequests.id, requestId));
  if (!view || !row) throw new NotFoundError(noSuchRequest);
  const visible =
    row.raisedBy === actor.accountId ||
    row.personId === (await personIdOfActor(ctx)) ||
    (await actorScope(ctx)).covers('requests:decide', view.position.odsCode);
  if (!visible) throw new NotFoundError(noSuchRequest);
  return view;
}
