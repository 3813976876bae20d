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
 * One grouped query: the held assignments of the organisations' positions (positions_ods_idx,
 * then assignments_held_idx alone), each position's systems unnested. For everyone, it
 * reads every assignment held: seconds at national scale (see the README).
 */
export async function systemAccess(
  ctx: ServiceContext,
  input: { organisation?: string[] | undefined },
): Promise<{ asOf: string; systems: SystemAccessRow[] }> {
  const today = todayOf(ctx.now());
  const covered = await reportOrganisations(ctx, input.organisation);
  const inOrganisations = organisationCondition(positions.odsCode, covered);
  const counts = new Map<string, { people: number; positions: number }>();
  if (inOrganisations !== false) {
    const rows = await rowsOf<{ system: string; people: number; positions: number }>(
      ctx,
      sql`select s.system, count(distinct a.person_id)::int as people,
                 count(distinct ${positions.id})::int as positions
            from assignments a
            join ${positions} on ${positions.id} = a.position_id
            cross join lateral unnest(${positions.systems}) as s(system)
           where a.ended_at is null
             and a.start_date <= ${today}::date
             and (a.end_date is null or a.end_date >= ${today}::date)
             and ${positions.status} = 'active'
             ${inOrganisations ? sql`and ${inOrganisations}` : sql``}
           group by s.system`,
    );
    for (const row of rows) counts.set(row.system, row);
  }
  return {
    asOf: today,
    systems: clinicalSystems.map((system) => ({
      system,
      people: counts.get(system)?.people ?? 0,
      positions: counts.get(system)?.positions ?? 0,
    })),
  };
}
