import { eq } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import { actorScope } from '../access/actor-scope.ts';
import { type CardRecord, lifecycleActorFor } from '../cards/card-access.ts';
import { allowedTransitions } from '../cards/card-lifecycle.ts';
import type { ServiceContext } from '../context.ts';
import { renewalWindowDays } from './create-card-job.ts';

/** The card jobs a card's page offers besides the routed moves. */
export type OfferedCardJob = 'unlock' | 'renew';

/**
 * The jobs the caller may ask for on this card now, by the rules createCardJob checks: the
 * lifecycle table (permissions, scope, never one's own card as an operator, self-service
 * for the holder) and, for renewal, the window (the last 90 days, not expired) unless the
 * caller renews expired cards as an RA agent at the desk. What the page offers is what the
 * server would accept, so nothing is refused after a click.
 */
export async function offeredCardJobs(
  ctx: ServiceContext,
  card: CardRecord,
): Promise<OfferedCardJob[]> {
  if (!ctx.actor || !card.personId) return [];
  const actor = await lifecycleActorFor(ctx, card);
  const allowed = allowedTransitions(
    { state: card.state, holderAccountId: card.holderAccountId },
    actor,
  );
  const jobs: OfferedCardJob[] = [];
  if (allowed.includes('unlock')) jobs.push('unlock');
  if (allowed.includes('renew') && (await mayRenewNow(ctx, card))) jobs.push('renew');
  return jobs;
}

async function mayRenewNow(ctx: ServiceContext, card: CardRecord): Promise<boolean> {
  const own = card.holderAccountId !== null && card.holderAccountId === ctx.actor?.accountId;
  if (!own && (await actorScope(ctx)).coversAny('cards:renew-expired', card.odsCodes)) return true;
  const [row] = await ctx.db
    .select({ expiresAt: cards.expiresAt })
    .from(cards)
    .where(eq(cards.id, card.id));
  const expiresAt = row?.expiresAt;
  const now = ctx.now();
  if (!expiresAt || expiresAt <= now) return false;
  return now.getTime() >= expiresAt.getTime() - renewalWindowDays * 86_400_000;
}
