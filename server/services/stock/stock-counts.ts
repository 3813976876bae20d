import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { cardStates, cards } from '../../../db/schema/cards.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import type { ServiceContext } from '../context.ts';
import { type CardLocationView, listCardLocations, stockScope } from './card-locations.ts';

export type CardState = (typeof cardStates)[number];
export type StateCounts = Record<CardState, number>;

export interface StockCounts {
  /** Each location where the caller manages stock, with its cards counted by state. */
  locations: { location: CardLocationView; counts: StateCounts; total: number }[];
  /** The same counts over all those locations. */
  totals: StateCounts;
  /** Open organisations where the caller manages stock: where a new location may go. */
  organisations: { odsCode: string; name: string }[];
}

const zeroes = (): StateCounts => Object.fromEntries(cardStates.map((s) => [s, 0])) as StateCounts;

/**
 * The stock page's numbers: cards at each of the caller's locations, by state. One grouped
 * count over the cards' (location_id, state) index, however many cards there are.
 */
export async function stockCounts(ctx: ServiceContext): Promise<StockCounts> {
  const scope = await stockScope(ctx);
  const locations = await listCardLocations(ctx);
  const ids = locations.map((l) => l.id);
  const rows = ids.length
    ? await ctx.db
        .select({ locationId: cards.locationId, state: cards.state, n: count() })
        .from(cards)
        .where(inArray(cards.locationId, ids))
        .groupBy(cards.locationId, cards.state)
    : [];
  const byLocation = new Map(locations.map((l) => [l.id, zeroes()]));
  const totals = zeroes();
  for (const r of rows) {
    const counts = r.locationId ? byLocation.get(r.locationId) : undefined;
    if (!counts) continue;
    counts[r.state] += Number(r.n);
    totals[r.state] += Number(r.n);
  }
  const open = eq(organisations.status, 'active');
  const orgs =
    scope.all || scope.odsCodes.size
      ? await ctx.db
          .select({ odsCode: organisations.odsCode, name: organisations.name })
          .from(organisations)
          .where(scope.all ? open : and(open, inArray(organisations.odsCode, [...scope.odsCodes])))
          .orderBy(asc(organisations.odsCode))
      : [];
  return {
    locations: locations.map((location) => {
      const counts = byLocation.get(location.id) ?? zeroes();
      return {
        location,
        counts,
        total: Object.values(counts).reduce((a, b) => a + b, 0),
      };
    }),
    totals,
    organisations: orgs,
  };
}
