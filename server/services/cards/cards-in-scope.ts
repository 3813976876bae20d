import { and, inArray, isNotNull, isNull, or, type SQL } from 'drizzle-orm';
import { cardLocations, cards } from '../../../db/schema/cards.ts';
import { actorScope, type OrganisationScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { holderIn } from './holder-ods.ts';

/**
 * Which cards the caller may see in lists and counts, as a condition on `cards`: `null`
 * for every card (roles held with no organisation), `false` for none.
 *
 * As for one card (get-card.ts), a held card is seen by holders of `cards:read` in one of
 * its holder's organisations. A card with no holder (in stock, returned, destroyed) is RA
 * work: it is seen by holders of `card-stock:manage` (RA staff) in the organisation of the
 * location it is kept at, so another trust's stock is never listed or counted; a card with
 * neither holder nor location (known only from a reader, or from before stock had
 * locations) by anyone who manages stock, as get-card.ts and the lifecycle have it.
 *
 * The condition reads the card row (its holder's organisations, `holder_ods`) and one short
 * list (the caller's locations), never a card's certificates.
 */
export async function cardsInScope(ctx: ServiceContext): Promise<SQL | null | false> {
  const { read, stock } = await cardScopes(ctx);
  if (read.all && stock.all) return null;
  const readCodes = read.all ? [] : [...read.odsCodes];
  // Each held card carries its holder's organisations (holder_ods, kept by triggers): a
  // trust's cards come off cards_holder_ods_idx, or a page tests each card's own row.
  const held = read.all
    ? isNotNull(cards.personId)
    : !readCodes.length
      ? null
      : holderIn(cards.holderOds, readCodes);
  const kept = keptCardsCondition(ctx, stock);
  if (held && kept) return or(held, kept) as SQL;
  return held ?? kept ?? false;
}

/** The caller's reach for held cards (`cards:read`) and for cards with no holder (stock). */
export async function cardScopes(ctx: ServiceContext) {
  const scope = await actorScope(ctx);
  return { read: scope.of('cards:read'), stock: scope.of('card-stock:manage') };
}

/**
 * The locations a stock scope reaches: null for every location (and cards kept at none),
 * else those of its organisations (an empty list for none).
 */
export function keptLocations(ctx: ServiceContext, stock: OrganisationScope) {
  if (stock.all) return null;
  return ctx.db
    .select({ id: cardLocations.id })
    .from(cardLocations)
    .where(inArray(cardLocations.odsCode, [...stock.odsCodes]));
}

/**
 * The cards with no holder that a stock scope reaches, as a condition on `cards`; null for
 * none (see `cardsInScope`).
 */
export function keptCardsCondition(ctx: ServiceContext, stock: OrganisationScope): SQL | null {
  if (stock.all) return isNull(cards.personId);
  if (!stock.odsCodes.size) return null;
  return and(
    isNull(cards.personId),
    or(isNull(cards.locationId), inArray(cards.locationId, keptLocations(ctx, stock) ?? [])),
  ) as SQL;
}
