import { and, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import {
  cardsInUse,
  type ExpiryBucket,
  expiryBuckets,
  expiryCondition,
  expiryLimit,
} from '../cards/expiry-buckets.ts';
import { cardFilterCondition } from '../cards/list-cards.ts';
import type { ServiceContext } from '../context.ts';
import { openFlagsByKindQuery } from '../flags/list-flags.ts';

/**
 * The dashboard's count queries, built as `getDashboard` runs them (the tests EXPLAIN these
 * very queries). Each reads the `cards` row alone, under the list's own conditions
 * (`cardFilterCondition`): no certificate is ever read, as the card's `expires_at` carries
 * the earliest notAfter of its certificates in force.
 *
 * - Cards by state: one pass over the cards in scope, grouped by state. For a caller who
 *   reads every card, an index-only scan of cards_state_idx (state, expires_at).
 * - Expiry: one range of cards_state_idx (the four states in use, expires_at before the
 *   90-day limit) or of cards_expires_idx, whichever the planner finds narrower, with each
 *   bucket a FILTER of the same condition the list uses. Only cards near or past expiry are
 *   read, however many cards there are.
 * - Open flags by kind: the open flags (card_flags_list_idx), which are few beside cards.
 *
 * Null where the caller may see no card at all.
 */
export async function dashboardQueries(ctx: ServiceContext) {
  const scoped = await cardFilterCondition(ctx, {});
  const flags = (await openFlagsByKindQuery(ctx))?.query ?? null;
  if (scoped === false) return { byState: null, expiry: null, flags };
  const now = ctx.now();
  const byState = ctx.db
    .select({ state: cards.state, n: sql<number>`count(*)::int` })
    .from(cards)
    .where(scoped)
    .groupBy(cards.state);
  const bucketCount = (bucket: ExpiryBucket) =>
    sql<number>`count(*) filter (where ${expiryCondition(bucket, now)})::int`;
  const expiry = ctx.db
    .select(
      Object.fromEntries(expiryBuckets.map((b) => [b, bucketCount(b)])) as Record<
        ExpiryBucket,
        SQL.Aliased<number> | SQL<number>
      >,
    )
    .from(cards)
    .where(
      and(
        scoped,
        inArray(cards.state, [...cardsInUse]),
        lt(cards.expiresAt, expiryLimit('90', now)),
      ),
    );
  return { byState, expiry, flags };
}
