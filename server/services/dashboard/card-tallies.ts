import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../context.ts';
import { addDays, todayOf } from '../dates.ts';

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

/** Expiry days further back than this are folded into one row per set of organisations. */
const keptDays = 7;

/** The first expiry day the tallies still keep apart (days before it are folded together). */
export function foldedBefore(now: Date): string {
  return addDays(todayOf(now), -keptDays);
}

/**
 * Folds the dashboard's tallies (db/migrations/0016): the +1 and -1 rows the triggers wrote
 * since the last fold become one row per key, keys that came to nought go, and expiry days
 * more than a week past become one '-infinity' row per set (every count reads them as
 * "expired" alike). Safe beside writers and another fold: each fold deletes the rows its
 * snapshot sees and writes back their sums, so a row written meanwhile is left for the next.
 */
export async function foldCardTallies(ctx: ServiceContext) {
  const before = foldedBefore(ctx.now());
  const fold = async (query: ReturnType<typeof sql>) => {
    const [row] = rowsOf<{ was: number; now: number }>(await ctx.db.execute(query));
    return { was: row?.was ?? 0, now: row?.now ?? 0 };
  };
  /** Folds a table keyed by these columns: each key's rows become one, or none at nought. */
  const foldByKey = (table: string, keys: string[]) => {
    const key = sql.raw(keys.join(', '));
    const groups = sql.raw(keys.map((_, i) => String(i + 1)).join(', '));
    return fold(sql`
      with gone as (delete from ${sql.identifier(table)} returning ${key}, n),
           put as (insert into ${sql.identifier(table)} (${key}, n)
                   select ${key}, sum(n) from gone group by ${groups} having sum(n) <> 0
                   returning 1)
      select (select count(*) from gone)::int as was, (select count(*) from put)::int as now`);
  };
  const states = await foldByKey('card_state_tallies', ['holder_ods', 'state', 'card_type']);
  const flags = await foldByKey('card_flag_tallies', ['holder_ods', 'kind']);
  const stock = await foldByKey('card_stock_tallies', ['location_id', 'state', 'card_type']);
  const days = await fold(sql`
    with gone as (delete from card_expiry_tallies returning holder_ods, expires_on, n),
         put as (insert into card_expiry_tallies (holder_ods, expires_on, n)
                 select holder_ods,
                        case when expires_on < ${before}::date then '-infinity'::date else expires_on end,
                        sum(n)
                   from gone group by 1, 2 having sum(n) <> 0
                 returning 1)
    select (select count(*) from gone)::int as was, (select count(*) from put)::int as now`);
  // Rows folded away: 0 when nothing moved since the last fold (the Jobs page then counts
  // the run rather than listing it).
  const was = states.was + flags.was + stock.was + days.was;
  return { folded: was - (states.now + flags.now + stock.now + days.now) };
}

/**
 * Counts every held card and open flag afresh and puts the result in place of the tallies
 * (folded as `foldCardTallies` folds), holding card moves and link changes off meanwhile
 * (seconds at national scale). Returns how many counts the tallies had wrong (0, unless
 * something wrote to the tables with the triggers off: a bulk load, a hand repair) and how
 * many counts they hold now.
 */
export async function checkCardTallies(
  ctx: ServiceContext,
): Promise<{ wrong: number; counts: number }> {
  const [checked] = rowsOf<{ wrong: number }>(
    await ctx.db.execute(
      sql`select card_tallies_rebuild(${foldedBefore(ctx.now())}::date) as wrong`,
    ),
  );
  const [held] = rowsOf<{ counts: number }>(
    await ctx.db.execute(sql`
      select ((select count(*) from card_state_tallies) + (select count(*) from card_expiry_tallies)
              + (select count(*) from card_flag_tallies) + (select count(*) from card_stock_tallies))::int
               as counts`),
  );
  return { wrong: checked?.wrong ?? 0, counts: held?.counts ?? 0 };
}
