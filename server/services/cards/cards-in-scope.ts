import { and, eq, exists, inArray, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm';
import { cardLocations, cards } from '../../../db/schema/cards.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { actorScope, type OrganisationScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';

/**
 * How the scope is tested: `set` gathers the people of the caller's organisations once and
 * tests each card against them (for counts, which read every card in scope); `probe` asks,
 * card by card, whether its holder works in one of them (person_organisations' key), for a
 * page that follows an index and stops after fifty cards: gathering the 39,000 people of a
 * large trust for it cost more than the page.
 */
export type ScopeTest = 'set' | 'probe';

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
 * The condition reads the card row and two short lists (the people of the caller's
 * organisations, their locations), never a card's certificates.
 */
export async function cardsInScope(
  ctx: ServiceContext,
  how: ScopeTest = 'set',
): Promise<SQL | null | false> {
  const { read, stock } = await cardScopes(ctx);
  if (read.all && stock.all) return null;
  const readCodes = read.all ? [] : [...read.odsCodes];
  const held = read.all
    ? isNotNull(cards.personId)
    : !readCodes.length
      ? null
      : how === 'probe'
        ? exists(
            ctx.db
              .select({ one: sql`1` })
              .from(personOrganisations)
              .where(
                and(
                  eq(personOrganisations.personId, cards.personId),
                  inArray(personOrganisations.odsCode, readCodes),
                ),
              ),
          )
        : inArray(
            cards.personId,
            ctx.db
              .select({ id: personOrganisations.personId })
              .from(personOrganisations)
              .where(inArray(personOrganisations.odsCode, readCodes)),
          );
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
