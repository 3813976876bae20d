import { and, gt, gte, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import {
  cardExpiryTallies,
  cardStateTallies,
  cardStockTallies,
  cards,
} from '../../../db/schema/cards.ts';
import { cardScopes, keptCardsCondition, keptLocations } from '../cards/cards-in-scope.ts';
import {
  cardsInUse,
  type ExpiryBucket,
  expiryBuckets,
  expiryCondition,
  expiryLimit,
} from '../cards/expiry-buckets.ts';
import { holderIn } from '../cards/holder-ods.ts';
import type { ServiceContext } from '../context.ts';
import { addDays, startOfDay, todayOf } from '../dates.ts';
import { openFlagCountQueries } from '../flags/list-flags.ts';

type Buckets = Record<ExpiryBucket, SQL.Aliased<number>>;

/**
 * The dashboard's count queries, built as `getDashboard` runs them (the tests EXPLAIN these
 * very queries). No query reads a certificate, and none reads every card in the caller's
 * scope: held cards are counted from the tallies the database keeps as cards move
 * (card_state_tallies, card_expiry_tallies: db/migrations/0016), which hold a few rows per
 * set of organisations rather than a row per card, so a trust's counts cost the same at
 * 1.2 million cards as at a thousand.
 *
 * - `heldByState`: held cards by state, the tallies of the sets that meet the caller's
 *   organisations (a holder in two of them is one set, counted once).
 * - `heldDays`: held cards in use by expiry, whole UK days: before today (expired) and from
 *   tomorrow to the 90th day.
 * - `heldToday`: held cards in use expiring today, from `cards` (part of today is past, so
 *   they fall either side of now): a one-day range of cards_in_use_expiry_holder_idx, each
 *   card's holder's organisations (`holder_ods`, in the index) tested against the caller's.
 * - `keptByState`: cards with no holder in the caller's stock scope, by state, from the
 *   tallies by location (card_stock_tallies).
 * - `keptExpiry`: those of them in use and near expiry (rare: a card in use has a holder),
 *   from `cards` (cards_kept_idx).
 * - `flags`: open flags by kind (`openFlagCountQueries`: held from card_flag_tallies).
 *
 * Each is null where the caller may see none of those cards.
 */
export async function dashboardQueries(ctx: ServiceContext) {
  const { read, stock } = await cardScopes(ctx);
  const flags = await openFlagCountQueries(ctx);
  const now = ctx.now();
  const today = todayOf(now);
  const readCodes = read.all ? null : [...read.odsCodes].sort();
  const seesHeld = read.all || read.odsCodes.size > 0;
  const meets = (column: AnyPgColumn) => (readCodes ? holderIn(column, readCodes) : undefined);

  const heldByState = seesHeld
    ? ctx.db
        .select({
          state: cardStateTallies.state,
          n: sql<number>`sum(${cardStateTallies.n})::int`.as('n'),
        })
        .from(cardStateTallies)
        .where(meets(cardStateTallies.holderOds))
        .groupBy(cardStateTallies.state)
    : null;

  const days = cardExpiryTallies.expiresOn;
  const dayBucket = (bucket: ExpiryBucket) =>
    bucket === 'expired'
      ? sql<number>`coalesce(sum(${cardExpiryTallies.n}) filter (where ${days} < ${today}), 0)::int`.as(
          bucket,
        )
      : sql<number>`coalesce(sum(${cardExpiryTallies.n}) filter (where ${days} > ${today} and ${days} <= ${addDays(today, Number(bucket))}), 0)::int`.as(
          bucket,
        );
  const heldDays = seesHeld
    ? ctx.db
        .select(Object.fromEntries(expiryBuckets.map((b) => [b, dayBucket(b)])) as Buckets)
        .from(cardExpiryTallies)
        .where(and(lte(days, addDays(today, 90)), meets(cardExpiryTallies.holderOds)))
    : null;

  const heldToday = seesHeld
    ? ctx.db
        .select({
          expired: sql<number>`count(*) filter (where ${lte(cards.expiresAt, now)})::int`.as(
            'expired',
          ),
          ahead: sql<number>`count(*) filter (where ${gt(cards.expiresAt, now)})::int`.as('ahead'),
        })
        .from(cards)
        .where(
          and(
            inArray(cards.state, [...cardsInUse]),
            gte(cards.expiresAt, startOfDay(today)),
            lt(cards.expiresAt, startOfDay(addDays(today, 1))),
            // Held: a held card always carries a set (`{}` for a holder in none).
            readCodes ? holderIn(cards.holderOds, readCodes) : sql`${cards.holderOds} is not null`,
          ),
        )
    : null;

  const kept = keptCardsCondition(ctx, stock);
  const locations = keptLocations(ctx, stock);
  const keptByState = kept
    ? ctx.db
        .select({
          state: cardStockTallies.state,
          n: sql<number>`sum(${cardStockTallies.n})::int`.as('n'),
        })
        .from(cardStockTallies)
        .where(
          locations
            ? or(
                isNull(cardStockTallies.locationId),
                inArray(cardStockTallies.locationId, locations),
              )
            : undefined,
        )
        .groupBy(cardStockTallies.state)
    : null;
  const keptBucket = (bucket: ExpiryBucket) =>
    sql<number>`count(*) filter (where ${expiryCondition(bucket, now)})::int`.as(bucket);
  const keptExpiry = kept
    ? ctx.db
        .select(Object.fromEntries(expiryBuckets.map((b) => [b, keptBucket(b)])) as Buckets)
        .from(cards)
        .where(
          and(
            kept,
            inArray(cards.state, [...cardsInUse]),
            lt(cards.expiresAt, expiryLimit('90', now)),
          ),
        )
    : null;

  return {
    heldByState,
    heldDays,
    heldToday,
    keptByState,
    keptExpiry,
    heldFlags: flags?.held ?? null,
    unheldFlags: flags?.unheld ?? null,
  };
}
