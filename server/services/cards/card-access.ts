import { eq, sql } from 'drizzle-orm';
import { cardLocations, cards } from '../../../db/schema/cards.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Permission } from '../../permissions/permissions.ts';
import { actorScope, namedScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import {
  allowedTransitions,
  type CardState,
  type CardTransition,
  type CardVerb,
  cardTransitions,
  type LifecycleActor,
  type LifecycleCard,
} from './card-lifecycle.ts';

/** The answer for a card the caller may not see, word for word that for one that does not exist. */
export const noSuchCard = 'There is no such card.';

/** A card as the access rules and the lifecycle need it. */
export interface CardRecord {
  id: string;
  serial: string;
  cardType: string;
  state: CardState;
  stateReason: string | null;
  stateChangedAt: Date | null;
  personId: string | null;
  holderAccountId: string | null;
  /** The organisations the card belongs to: its holder's, or (no holder) its location's. */
  odsCodes: string[];
}

/**
 * One card by serial, matched in any case as the people search matches serials (the exact
 * spelling first, should two ever differ only in case); `forUpdate` locks its row for a
 * change of state. Null when there is none.
 */
export async function findCard(
  ctx: ServiceContext,
  serial: string,
  options: { forUpdate?: boolean } = {},
): Promise<CardRecord | null> {
  const query = ctx.db
    .select({
      id: cards.id,
      serial: cards.serial,
      cardType: cards.cardType,
      state: cards.state,
      stateReason: cards.stateReason,
      stateChangedAt: cards.stateChangedAt,
      personId: cards.personId,
      holderAccountId: people.accountId,
      locationOds: cardLocations.odsCode,
    })
    .from(cards)
    .leftJoin(people, eq(people.id, cards.personId))
    .leftJoin(cardLocations, eq(cardLocations.id, cards.locationId))
    .where(eq(sql`lower(${cards.serial})`, serial.toLowerCase()))
    .orderBy(sql`${cards.serial} = ${serial} desc`)
    .limit(1);
  const [card] = options.forUpdate ? await query.for('update', { of: cards }) : await query;
  if (!card) return null;
  const { locationOds, ...rest } = card;
  return { ...rest, odsCodes: await organisationsOf(ctx, card.personId, locationOds) };
}

async function organisationsOf(
  ctx: ServiceContext,
  personId: string | null,
  locationOds: string | null,
): Promise<string[]> {
  if (!personId) return locationOds ? [locationOds] : [];
  const rows = await ctx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(eq(personOrganisations.personId, personId));
  return [...new Set(rows.map((r) => r.odsCode))].sort();
}

/**
 * 404, word for word as for a card that does not exist, unless the caller may see the card:
 * its holder; holders of `cards:read` in one of the holder's organisations; for a card with
 * no holder (stock), holders of `card-stock:manage` (RA staff) in the organisation of the
 * location it is kept at, as the stock lists and counts show it (cards-in-scope.ts), so
 * another trust's RA neither sees it nor learns from a refusal where it is kept. A card with
 * neither holder nor location is RA staff's anywhere, as lifecycleActorFor reaches it.
 */
export async function assertMayViewCard(ctx: ServiceContext, card: CardRecord): Promise<void> {
  const scope = await actorScope(ctx);
  if (card.personId) {
    if (card.personId === (await personIdOfActor(ctx))) return;
    const read = scope.of('cards:read');
    if (read.all || card.odsCodes.some((o) => read.odsCodes.has(o))) return;
    throw new NotFoundError(noSuchCard);
  }
  const stock = scope.of('card-stock:manage');
  if (stock.all) return;
  const kept = card.odsCodes.length
    ? card.odsCodes.some((o) => stock.odsCodes.has(o))
    : stock.odsCodes.size > 0;
  if (!kept) throw new NotFoundError(noSuchCard);
}

/** The permissions a holder uses on their own card, wherever their role is held. */
const selfServicePermissions = new Set(
  cardTransitions.flatMap((t) => (t.selfService ? [t.selfService] : [])),
);

/**
 * The caller as the lifecycle sees them for this card: the permissions whose scope reaches
 * the card's organisations (an RA agent of one trust cancels none of another's cards), and
 * on their own card the self-service ones. A card of no organisation (no holder, no
 * location) is reached by a permission the caller holds anywhere.
 */
export async function lifecycleActorFor(
  ctx: ServiceContext,
  card: CardRecord,
): Promise<Exclude<LifecycleActor, 'system'>> {
  const actor = ctx.actor;
  if (!actor) throw new ForbiddenError('Sign in to change a card.');
  const scope = await actorScope(ctx);
  const own = card.holderAccountId !== null && card.holderAccountId === actor.accountId;
  const reaches = (p: Permission) => {
    if (own && selfServicePermissions.has(p)) return true;
    const s = scope.of(p);
    if (s.all) return true;
    return card.odsCodes.length
      ? card.odsCodes.some((o) => s.odsCodes.has(o))
      : s.odsCodes.size > 0;
  };
  return { accountId: actor.accountId, permissions: actor.permissions.filter(reaches) };
}

/**
 * A refusal for a permission the caller holds, but not in the card's organisations (policy
 * 2 of actor-scope.ts: they see the card, so they are told why), or null.
 */
export async function outOfScopeRefusal(
  ctx: ServiceContext,
  card: CardRecord,
  transition: CardTransition,
): Promise<ForbiddenError | null> {
  const permission = transition.permission;
  if (permission === 'system' || !ctx.actor?.permissions.includes(permission)) return null;
  const yours = namedScope((await actorScope(ctx)).of(permission));
  const theirs = card.odsCodes.length ? card.odsCodes.join(', ') : 'no organisation';
  return new ForbiddenError(
    `You handle cards with ${permission} for ${yours.join(', ') || 'no organisation'} only, and this card belongs to ${theirs}. Ask their RA team.`,
  );
}

/** The lifecycle moves that have a route of their own (issue, activate and unlock go through the agent). */
export const routedCardVerbs = [
  'suspend',
  'reinstate',
  'cancel',
  'return',
  'clear',
  'destroy',
] as const satisfies readonly CardVerb[];
export type RoutedCardVerb = (typeof routedCardVerbs)[number];

const routed = new Set<CardVerb>(routedCardVerbs);

/** The card's buttons: the routed moves the lifecycle table lets the caller make now. */
export async function cardActions(
  ctx: ServiceContext,
  card: CardRecord,
): Promise<RoutedCardVerb[]> {
  if (!ctx.actor) return [];
  const lifecycleCard: LifecycleCard = { state: card.state, holderAccountId: card.holderAccountId };
  const actor = await lifecycleActorFor(ctx, card);
  return allowedTransitions(lifecycleCard, actor).filter((v): v is RoutedCardVerb => routed.has(v));
}
