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
 * Folds the dashboard's tallies (db/migrations/0016) and the system-access report's (0023): the +1 and -1 rows the triggers wrote
 * since the last fold become one row per key, keys that came to nought go, and expiry days
 * more than a week past become one '-infinity' row per set (every count reads them as
 * "expired" alike). Only keys with something to fold are rewritten: a key already one row
 * stays as it is, so a quiet fold writes nothing (rewriting all 145,000 expiry rows every
 * ten minutes left as many dead rows each time, and the dashboard's index-only reads read
 * the table instead until a vacuum). Safe beside writers and another fold: each fold
 * deletes the rows its snapshot sees and writes back their sums, so a row written meanwhile
 * is left for the next.
 */
export async function foldCardTallies(ctx: ServiceContext) {
  const before = foldedBefore(ctx.now());
  const fold = async (query: ReturnType<typeof sql>) => {
    const [row] = rowsOf<{ was: number; now: number }>(await ctx.db.execute(query));
    return { was: row?.was ?? 0, now: row?.now ?? 0 };
  };
  /**
   * Folds a table by its key columns (`nullable`: compared with IS NOT DISTINCT FROM), the
   * value of each row's key given by `keyOf` (the column itself, or its folded day).
   */
  const foldByKey = (
    table: string,
    keys: {
      name: string;
      nullable?: true;
      keyOf?: (column: ReturnType<typeof sql>) => ReturnType<typeof sql>;
    }[],
    moved: ReturnType<typeof sql> = sql`false`,
  ) => {
    const t = sql.identifier(table);
    const keyValue = (k: (typeof keys)[number], alias: string) => {
      const column = sql`${sql.raw(alias)}.${sql.identifier(k.name)}`;
      return k.keyOf ? k.keyOf(column) : column;
    };
    const names = sql.raw(keys.map((k) => `"${k.name}"`).join(', '));
    const groups = sql.raw(keys.map((_, i) => String(i + 1)).join(', '));
    const keyed = sql.join(
      keys.map((k) => sql`${keyValue(k, 't')} as ${sql.identifier(k.name)}`),
      sql`, `,
    );
    const same = sql.join(
      keys.map(
        (k) =>
          sql`${keyValue(k, 't')} ${sql.raw(k.nullable ? 'is not distinct from' : '=')} ${sql.raw('w.')}${sql.identifier(k.name)}`,
      ),
      sql` and `,
    );
    const returned = sql.join(
      keys.map((k) => sql`${sql.raw('w.')}${sql.identifier(k.name)}`),
      sql`, `,
    );
    return fold(sql`
      with todo as (select ${keyed} from ${t} as t group by ${groups}
                     having count(*) > 1 or sum(t.n) = 0 or bool_or(${moved})),
           gone as (delete from ${t} as t using todo as w where ${same} returning ${returned}, t.n),
           put as (insert into ${t} (${names}, n)
                   select ${names}, sum(n) from gone group by ${groups} having sum(n) <> 0
                   returning 1)
      select (select count(*) from gone)::int as was, (select count(*) from put)::int as now`);
  };
  const states = await foldByKey('card_state_tallies', [
    { name: 'holder_ods' },
    { name: 'state' },
    { name: 'card_type' },
  ]);
  const flags = await foldByKey('card_flag_tallies', [{ name: 'holder_ods' }, { name: 'kind' }]);
  const stock = await foldByKey('card_stock_tallies', [
    { name: 'location_id', nullable: true },
    { name: 'state' },
    { name: 'card_type' },
  ]);
  // A day over a week past is folded into '-infinity', and a row of one moves there.
  const day = (column: ReturnType<typeof sql>) =>
    sql`(case when ${column} < ${before}::date then '-infinity'::date else ${column} end)`;
  const days = await foldByKey(
    'card_expiry_tallies',
    [{ name: 'holder_ods' }, { name: 'expires_on', keyOf: day }],
    sql`t.expires_on < ${before}::date and t.expires_on <> '-infinity'::date`,
  );
  // The system-access report's people by access signature (db/migrations/0023); ods_codes
  // follows from the signature, so keying by both folds by the signature alone.
  const access = await foldByKey('system_access_tallies', [
    { name: 'signature' },
    { name: 'ods_codes' },
  ]);
  // Rows folded away: 0 when nothing moved since the last fold (the Jobs page then counts
  // the run rather than listing it).
  const was = states.was + flags.was + stock.was + days.was + access.was;
  return { folded: was - (states.now + flags.now + stock.now + days.now + access.now) };
}

/**
 * Counts every held card and open flag, and every person's access to clinical systems
 * (system_access_rebuild, db/migrations/0023), afresh and puts the result in place of the tallies
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
  // And the system-access report's: each person's access signature and the people by signature.
  const [access] = rowsOf<{ wrong: number }>(
    await ctx.db.execute(sql`select system_access_rebuild() as wrong`),
  );
  const [held] = rowsOf<{ counts: number }>(
    await ctx.db.execute(sql`
      select ((select count(*) from card_state_tallies) + (select count(*) from card_expiry_tallies)
              + (select count(*) from card_flag_tallies) + (select count(*) from card_stock_tallies)
              + (select count(*) from system_access_tallies))::int
               as counts`),
  );
  return { wrong: (checked?.wrong ?? 0) + (access?.wrong ?? 0), counts: held?.counts ?? 0 };
}
