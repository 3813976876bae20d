import { eq, sql } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { NotFoundError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { groupUserId } from '../people/name-keys.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { listPersonCards, type PersonCard } from './person-cards.ts';

/** The answer for a card the caller may not see, word for word that for one that does not exist. */
export const noSuchCard = 'There is no such card.';

const raRoles = new Set(['ra_manager', 'ra_agent_advanced', 'ra_agent']);

export interface CardView extends PersonCard {
  holder: { id: string; userId: string; name: string } | null;
}

/**
 * One card by serial: its state, certificates, last sighting, open flags and holder. Seen by
 * its holder, and by holders of `cards:read` in one of the holder's organisations; a card
 * with no holder (stock) by RA staff only. Anyone else gets the answer for no such card.
 */
export async function getCard(ctx: ServiceContext, serial: string): Promise<CardView> {
  const [card] = await ctx.db
    .select({
      serial: cards.serial,
      personId: cards.personId,
      cardType: cards.cardType,
      state: cards.state,
      given: people.givenName,
      family: people.familyName,
      userId: people.userId,
    })
    .from(cards)
    .leftJoin(people, eq(people.id, cards.personId))
    // Serials are matched in any case, as the people search matches them; the exact
    // spelling first, should two ever differ only in case.
    .where(eq(sql`lower(${cards.serial})`, serial.toLowerCase()))
    .orderBy(sql`${cards.serial} = ${serial} desc`)
    .limit(1);
  if (!card) throw new NotFoundError(noSuchCard);
  serial = card.serial;
  const scope = (await actorScope(ctx)).of('cards:read');
  if (card.personId) {
    const mine = card.personId === (await personIdOfActor(ctx));
    if (!mine) {
      const orgs = await ctx.db
        .select({ odsCode: personOrganisations.odsCode })
        .from(personOrganisations)
        .where(eq(personOrganisations.personId, card.personId));
      if (!scope.all && !orgs.some((o) => scope.odsCodes.has(o.odsCode))) {
        throw new NotFoundError(noSuchCard);
      }
    }
    const held = (await listPersonCards(ctx, card.personId)).find((c) => c.serial === serial);
    if (!held) throw new NotFoundError(noSuchCard);
    return {
      ...held,
      holder: {
        id: card.personId,
        userId: groupUserId(card.userId ?? ''),
        name: `${card.given} ${card.family}`,
      },
    };
  }
  const raStaff = (ctx.actor?.roles ?? []).some((r) => raRoles.has(r.role));
  if (!raStaff) throw new NotFoundError(noSuchCard);
  return {
    serial,
    cardType: card.cardType,
    state: card.state,
    certificates: [],
    lastSeen: null,
    openFlags: [],
    holder: null,
  };
}
