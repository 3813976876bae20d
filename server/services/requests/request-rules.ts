import { eq } from 'drizzle-orm';
import type { accessRequests } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { DomainError, NotFoundError, SeparationOfDutiesError } from '../../errors.ts';
import { inScope, organisationScope } from '../access/organisation-scope.ts';
import type { ServiceContext } from '../context.ts';
import { dateTimeOf, timeOf } from '../dates.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';

type AccessRequest = typeof accessRequests.$inferSelect;

/** How long opening a request to decide it keeps others off it. */
export const claimMinutes = 15;

/**
 * Whether the caller may decide this request, by scope and separation of duties: a
 * decider in the position's organisation, who neither raised it nor is its subject.
 */
export async function assertMayDecide(ctx: ServiceContext, request: AccessRequest) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  const scope = await organisationScope(ctx, 'requests:decide');
  if (!inScope(scope, request.odsCode)) {
    // Out of scope looks the same as absent: sponsors see only their organisations' requests.
    throw new NotFoundError('There is no such request among those you can decide.');
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
