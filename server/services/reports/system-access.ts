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
 * One query, returning how many people, and how many held positions, have each bit mask of
 * systems (bit i for clinicalSystems[i]): a few dozen rows. A person is one of a system's
 * people when their mask has its bit.
 *
 * People are counted from system_access_tallies (db/migrations/0023): how many people have
 * each access signature (an element '<ODS code>:<mask>' for each organisation where they hold
 * a position that opens a system), kept by triggers as assignments and positions change. The
 * rows whose organisations meet the covered ones are summed, each under the OR of its masks
 * in those organisations, so a person in two of them is counted once. The signature ignores
 * dates, so the few people with an assignment in the covered organisations not started yet or
 * past its end date (the position-expiry job ends those daily) are counted live: their kept
 * mask taken off, the mask they hold today added. Those assignments are found nationally
 * first (`undated`, materialized: assignments_starting_idx and assignments_ending_idx, a few
 * rows), then kept to the organisations': left to itself, the planner believed the column
 * statistics (ended assignments' past end dates among them) and probed each position's held
 * assignments instead, 40,000 index entries for a trust. A trust of 40,000 held assignments
 * at national scale: 2–5 ms, where grouping its assignments by person took 15–23.
 *
 * Positions held are counted live: an EXISTS per active position of the organisations.
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
    // The covered ODS codes (null: every organisation), as system_access_signature_mask takes them.
    const codes = covered.all
      ? sql`null::text[]`
      : sql`array[${sql.join(
          covered.codes.map((code) => sql`${code}`),
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
          kept as (
            select system_access_signature_mask(t.signature, ${codes}) as mask, sum(t.n) as people
              from system_access_tallies t
             ${covered.all ? sql`` : sql`where t.ods_codes && ${codes}`}
             group by 1),
          undated as materialized (
            select a.person_id, a.position_id from assignments a
             where a.ended_at is null and a.start_date > ${today}::date
            union all
            select a.person_id, a.position_id from assignments a
             where a.ended_at is null and a.end_date < ${today}::date),
          odd as (
            select distinct u.person_id from undated u join p on p.id = u.position_id
             where p.mask <> 0),
          odd_masks as (
            select system_access_signature_mask(k.signature, ${codes}) as mask, -1 as people
              from odd join person_access_signatures k on k.person_id = odd.person_id
            union all
            select (select coalesce(bit_or(p.mask), 0)
                      from assignments a join p on p.id = a.position_id
                     where a.person_id = odd.person_id and ${heldToday}), 1
              from odd),
          position_masks as (
            select p.mask from p
             where exists (select 1 from assignments a where a.position_id = p.id and ${heldToday}))
          select mask, sum(people)::int as people, sum(positions)::int as positions from (
            select mask, people, 0 as positions from kept
            union all
            select mask, people, 0 from odd_masks
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
