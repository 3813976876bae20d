import { and, eq, isNull, sql } from 'drizzle-orm';
import { unionAll } from 'drizzle-orm/pg-core';
import { cardLocations, cards } from '../../../db/schema/cards.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import type { CardState } from '../cards/card-lifecycle.ts';
import type { ServiceContext } from '../context.ts';
import { heldInOrganisations, organisationCondition, reportOrganisations } from './report-scope.ts';

export interface CardsByStateRow {
  odsCode: string;
  organisation: string;
  state: CardState;
  cardType: string;
  cards: number;
}

/**
 * Cards by organisation, state and type. A card belongs to the organisations of its holder
 * (a holder of two organisations counts under each), and a card with no holder (in stock,
 * returned, destroyed) to the organisation of the location it is kept at; a card with
 * neither (known only from a reader) to none, and is not counted here.
 *
 * Grouped in the database: one row per organisation, state and type comes back, never a
 * card. For some organisations, their people's cards are read by person from
 * cards_holder_report_idx alone; for everyone, every card once.
 */
export async function cardsByState(
  ctx: ServiceContext,
  input: { organisation?: string[] | undefined },
): Promise<CardsByStateRow[]> {
  const covered = await reportOrganisations(ctx, input.organisation);
  const held = organisationCondition(personOrganisations.odsCode, covered);
  const kept = organisationCondition(cardLocations.odsCode, covered);
  if (held === false || kept === false) return [];
  const owned = unionAll(
    ctx.db
      .select({
        odsCode: personOrganisations.odsCode,
        state: cards.state,
        cardType: cards.cardType,
      })
      .from(cards)
      .innerJoin(personOrganisations, eq(personOrganisations.personId, cards.personId))
      .where(held ? and(held, heldInOrganisations(ctx, cards.personId, held)) : undefined),
    ctx.db
      .select({ odsCode: cardLocations.odsCode, state: cards.state, cardType: cards.cardType })
      .from(cards)
      .innerJoin(cardLocations, eq(cardLocations.id, cards.locationId))
      .where(and(isNull(cards.personId), kept)),
  ).as('owned');
  const counted = ctx.db
    .select({
      odsCode: owned.odsCode,
      state: owned.state,
      cardType: owned.cardType,
      cards: sql<number>`count(*)::int`.as('cards'),
    })
    .from(owned)
    .groupBy(owned.odsCode, owned.state, owned.cardType)
    .as('counted');
  const rows = await ctx.db
    .select({
      odsCode: counted.odsCode,
      organisation: organisations.name,
      state: counted.state,
      cardType: counted.cardType,
      cards: counted.cards,
    })
    .from(counted)
    .innerJoin(organisations, eq(organisations.odsCode, counted.odsCode))
    .orderBy(counted.odsCode, counted.state, counted.cardType);
  return rows as CardsByStateRow[];
}
