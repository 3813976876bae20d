import { type SQL, sql } from 'drizzle-orm';
import type { CardState } from '../cards/card-lifecycle.ts';
import { odsCodeIn } from '../cards/holder-ods.ts';
import type { ServiceContext } from '../context.ts';
import { reportOrganisations } from './report-scope.ts';

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
 * Counted from the running tallies the triggers keep as cards move (db/migrations/0016):
 * held cards by their holder's set of organisations, each set counted under every
 * organisation in it; cards with no holder by location. A few rows per organisation are
 * read, never a card: the nation's 1.2 million cards took 5 seconds to count row by row.
 */
export async function cardsByState(
  ctx: ServiceContext,
  input: { organisation?: string[] | undefined },
): Promise<CardsByStateRow[]> {
  const covered = await reportOrganisations(ctx, input.organisation);
  if (!covered.all && !covered.codes.length) return [];
  const within = (code: SQL) => (covered.all ? sql`` : sql`and ${odsCodeIn(code, covered.codes)}`);
  const result = await ctx.db.execute(sql`
    with owned as (
      select ods, t.state, t.card_type, t.n
        from card_state_tallies t, unnest(t.holder_ods) as ods
       where true ${within(sql`ods`)}
      union all
      select l.ods_code as ods, t.state, t.card_type, t.n
        from card_stock_tallies t join card_locations l on l.id = t.location_id
       where true ${within(sql`l.ods_code`)}
    )
    select o.ods_code as "odsCode", o.name as organisation, owned.state,
           owned.card_type as "cardType", sum(owned.n)::int as cards
      from owned join organisations o on o.ods_code = owned.ods
     group by o.ods_code, o.name, owned.state, owned.card_type
    having sum(owned.n) <> 0
     order by o.ods_code, owned.state, owned.card_type`);
  return (
    Array.isArray(result) ? result : (result as { rows: unknown[] }).rows
  ) as CardsByStateRow[];
}
