import { eq } from 'drizzle-orm';
import { people } from '../../../db/schema/people.ts';
import { NotFoundError } from '../../errors.ts';
import { type OfferedCardJob, offeredCardJobs } from '../card-jobs/offered-card-jobs.ts';
import type { ServiceContext } from '../context.ts';
import { groupUserId } from '../people/name-keys.ts';
import {
  assertMayViewCard,
  cardActions,
  findCard,
  noSuchCard,
  type RoutedCardVerb,
} from './card-access.ts';
import { type CardReason, reasonWords, transitionFrom } from './card-lifecycle.ts';
import { describeCards, type PersonCard } from './person-cards.ts';

export { noSuchCard };

export interface CardView extends PersonCard {
  holder: { id: string; userId: string; name: string } | null;
  stateReason: CardReason | null;
  stateChangedAt: string | null;
  /** The moves the caller may make on the card now, each with a route of its own. */
  actions: RoutedCardVerb[];
  /** For each of `actions` that needs a reason (suspend, cancel), the reasons allowed, in words. */
  reasons: Partial<Record<'suspend' | 'cancel', { reason: CardReason; label: string }[]>>;
  /** The card jobs (docs/card-jobs.md) the caller may ask for now, through a workstation. */
  jobs: OfferedCardJob[];
  /** The card is the caller's own: its jobs are self-service (the "My card" page). */
  ownCard: boolean;
}

/**
 * One card by serial: its state and why, its certificates and their status, last sighting,
 * open flags, holder, and what the caller may do to it. Seen by its holder, and by holders of
 * `cards:read` in one of the holder's organisations; a card with no holder (stock) by those
 * who manage stock where it is kept, as the cards list shows it. Anyone else gets the answer
 * for no such card.
 */
export async function getCard(ctx: ServiceContext, serial: string): Promise<CardView> {
  const card = await findCard(ctx, serial);
  if (!card) throw new NotFoundError(noSuchCard);
  await assertMayViewCard(ctx, card);
  const [described] = await describeCards(ctx, [card]);
  if (!described) throw new NotFoundError(noSuchCard);
  const holder = card.personId
    ? (
        await ctx.db
          .select({ given: people.givenName, family: people.familyName, userId: people.userId })
          .from(people)
          .where(eq(people.id, card.personId))
      )[0]
    : undefined;
  const actions = await cardActions(ctx, card);
  const reasons: CardView['reasons'] = {};
  for (const verb of actions) {
    const row = transitionFrom(card.state, verb);
    if (row?.needsReason && (verb === 'suspend' || verb === 'cancel')) {
      reasons[verb] = row.reasons.map((r) => ({ reason: r.reason, label: reasonWords[r.reason] }));
    }
  }
  return {
    ...described,
    holder:
      card.personId && holder
        ? {
            id: card.personId,
            userId: groupUserId(holder.userId ?? ''),
            name: `${holder.given} ${holder.family}`,
          }
        : null,
    stateReason: card.stateReason as CardReason | null,
    stateChangedAt: card.stateChangedAt?.toISOString() ?? null,
    actions,
    reasons,
    jobs: await offeredCardJobs(ctx, card),
    ownCard: card.holderAccountId !== null && card.holderAccountId === ctx.actor?.accountId,
  };
}
