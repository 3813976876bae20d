import { type SQL, sql } from 'drizzle-orm';
import { type ClinicalSystem, clinicalSystems, positions } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';
import { organisationCondition, reportOrganisations } from './report-scope.ts';

export interface SystemAccessRow {
  system: ClinicalSystem;
  /** People holding, today, at least one position that opens the system. */
  people: number;
  /** Active positions that open it and are held by someone today. */
  positions: number;
}

// PGlite answers `execute` with { rows }, postgres.js with the rows themselves.
async function rowsOf<T>(ctx: ServiceContext, query: SQL): Promise<T[]> {
  const result = (await ctx.db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/**
 * People with access to each clinical system today: those holding an assignment (started,
 * not ended, not past its end date) of an active position that opens the system. Access
 * belongs to the position's organisation, which grants it. Every system is listed, 0
 * included.
 *
 * One query. Each of the organisations' active positions gets its systems as a bit mask
 * (bit i for clinicalSystems[i]); each person holding any of them today gets the OR of
 * their positions' masks (assignments_held_idx alone), and the query returns how many
 * people, and how many held positions, have each mask: a few dozen rows. A person is one
 * of a system's people when their mask has its bit. Counting distinct people per system
 * directly (a row per assignment and system, hashed) took 62 ms for a trust of 40,000
 * assignments at national scale; this takes 25.
 */
export async function systemAccess(
  ctx: ServiceContext,
  input: { organisation?: string[] | undefined },
): Promise<{ asOf: string; systems: SystemAccessRow[] }> {
  const today = todayOf(ctx.now());
  const covered = await reportOrganisations(ctx, input.organisation);
  const inOrganisations = organisationCondition(positions.odsCode, covered);
  const people = new Map<ClinicalSystem, number>();
  const held = new Map<ClinicalSystem, number>();
  if (inOrganisations !== false) {
    const all = sql`array[${sql.join(
      clinicalSystems.map((system) => sql`${system}`),
      sql`, `,
    )}]::text[]`;
    const heldToday = sql`a.ended_at is null and a.start_date <= ${today}::date
             and (a.end_date is null or a.end_date >= ${today}::date)`;
    const rows = await rowsOf<{ mask: number; people: number; positions: number }>(
      ctx,
      sql`with p as materialized (
            select ${positions.id} as id,
                   (select coalesce(bit_or(1 << (array_position(${all}, s) - 1)), 0)
                      from unnest(${positions.systems}) as s) as mask
              from ${positions}
             where ${positions.status} = 'active'
               ${inOrganisations ? sql`and ${inOrganisations}` : sql``}),
          person_masks as (
            select bit_or(p.mask) as mask
              from assignments a join p on p.id = a.position_id
             where ${heldToday}
             group by a.person_id),
          position_masks as (
            select p.mask from p
             where exists (select 1 from assignments a where a.position_id = p.id and ${heldToday}))
          select mask, sum(people)::int as people, sum(positions)::int as positions from (
            select mask, count(*) as people, 0 as positions from person_masks group by mask
            union all
            select mask, 0, count(*) from position_masks group by mask) as masks
          group by mask`,
    );
    clinicalSystems.forEach((system, i) => {
      const has = rows.filter((row) => (row.mask & (1 << i)) !== 0);
      people.set(
        system,
        has.reduce((n, row) => n + row.people, 0),
      );
      held.set(
        system,
        has.reduce((n, row) => n + row.positions, 0),
      );
    });
  }
  return {
    asOf: today,
    systems: clinicalSystems.map((system) => ({
      system,
      people: people.get(system) ?? 0,
      positions: held.get(system) ?? 0,
    })),
  };
}
