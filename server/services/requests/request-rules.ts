import { eq } from 'drizzle-orm';
import type { accessRequests } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  SeparationOfDutiesError,
} from '../../errors.ts';
import { actorScope, namedScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { dateTimeOf, timeOf } from '../dates.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';

type AccessRequest = typeof accessRequests.$inferSelect;

/** What a caller hears of a request that does not exist, or is not theirs to see. */
export const noSuchRequest = 'There is no such request.';

/** How long opening a request to decide it keeps others off it. */
export const claimMinutes = 15;

/**
 * Whether the caller may decide this request, by scope and separation of duties: a
 * decider in the position's organisation, who neither raised it nor is its subject.
 */
export async function assertMayDecide(ctx: ServiceContext, request: AccessRequest) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  const scope = await actorScope(ctx);
  if (!scope.covers('requests:decide', request.odsCode)) {
    const mine =
      request.raisedBy === actor.accountId || request.personId === (await personIdOfActor(ctx));
    // Out of scope looks the same as absent (sponsors see only their organisations'
    // requests), unless the caller sees it anyway as its raiser or subject.
    if (!mine) throw new NotFoundError(noSuchRequest);
    const yours = namedScope(scope.of('requests:decide'));
    throw new ForbiddenError(
      `This request is for a position of ${request.odsCode}, and you decide requests for ${yours.join(', ') || 'no organisation'} only.`,
    );
  }
  if (request.raisedBy === actor.accountId) {
    throw new SeparationOfDutiesError('You raised this request, so someone else must decide it.');
  }
  if (request.personId === (await personIdOfActor(ctx))) {
    throw new SeparationOfDutiesError('This request is for you, so someone else must decide it.');
  }
}

/** Refuses when another reviewer holds an unexpired claim, naming them and until when. */
export async function assertNotClaimedByOther(ctx: ServiceContext, request: AccessRequest) {
  const actor = ctx.actor;
  if (!request.claimedBy || !request.claimedUntil || request.claimedBy === actor?.accountId) return;
  if (request.claimedUntil <= ctx.now()) return;
  const [holder] = await ctx.db
    .select({ displayName: accounts.displayName, username: accounts.username })
    .from(accounts)
    .where(eq(accounts.id, request.claimedBy));
  const until = timeOf(request.claimedUntil);
  throw new DomainError(
    'CLAIMED_BY_OTHER',
    `${holder?.displayName ?? 'Another reviewer'} is deciding this request (held until ${until} UK time). Try again later.`,
    { claimedBy: holder?.username ?? null, claimedUntil: request.claimedUntil.toISOString() },
  );
}

export function assertOpen(request: AccessRequest) {
  if (request.status !== 'open') {
    throw new DomainError(
      'ALREADY_DECIDED',
      `This request has already been ${request.status}${request.decidedAt ? ` (${dateTimeOf(request.decidedAt)} UK time)` : ''}.`,
    );
  }
}
