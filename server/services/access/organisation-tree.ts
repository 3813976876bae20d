import { inArray, type SQL, sql } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import type { ServiceContext } from '../context.ts';

interface Reach {
  start: string;
  odsCode: string;
}

// PGlite answers `execute` with { rows }, postgres.js with the rows themselves.
async function reachRows(ctx: ServiceContext, query: SQL): Promise<Reach[]> {
  const result = (await ctx.db.execute(query)) as unknown as Reach[] | { rows: Reach[] };
  return Array.isArray(result) ? result : result.rows;
}

function grouped(starts: readonly string[], rows: Reach[]): Map<string, Set<string>> {
  // Every start reaches itself, known organisation or not (a role may name one not yet added).
  const reach = new Map(starts.map((code) => [code, new Set([code])]));
  for (const row of rows) reach.get(row.start)?.add(row.odsCode);
  return reach;
}

/**
 * Each of `codes` with every organisation under it (its sites, their sites, …), walked by
 * one recursive query over `organisations.parent_ods_code`; only those rows are read.
 */
export async function descendantsOf(
  ctx: ServiceContext,
  codes: readonly string[],
): Promise<Map<string, Set<string>>> {
  const starts = [...new Set(codes)];
  if (!starts.length) return new Map();
  const rows = await reachRows(
    ctx,
    sql`with recursive tree(start, ods_code) as (
          select ods_code, ods_code from organisations
           where ${inArray(organisations.odsCode, starts)}
          union
          select tree.start, child.ods_code
            from organisations child join tree on child.parent_ods_code = tree.ods_code
        )
        select start, ods_code as "odsCode" from tree`,
  );
  return grouped(starts, rows);
}

/** Each of `codes` with every organisation above it (its trust, …), by one recursive query. */
export async function ancestorsOf(
  ctx: ServiceContext,
  codes: readonly string[],
): Promise<Map<string, Set<string>>> {
  const starts = [...new Set(codes)];
  if (!starts.length) return new Map();
  const rows = await reachRows(
    ctx,
    sql`with recursive line(start, ods_code) as (
          select ods_code, ods_code from organisations
           where ${inArray(organisations.odsCode, starts)}
          union
          select line.start, o.parent_ods_code
            from line join organisations o on o.ods_code = line.ods_code
           where o.parent_ods_code is not null
        )
        select start, ods_code as "odsCode" from line`,
  );
  return grouped(starts, rows);
}
