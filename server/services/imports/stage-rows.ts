import { sql } from 'drizzle-orm';
import type { ImportPlan } from '../../../db/schema/imports.ts';
import type { ServiceContext } from '../context.ts';

/** One row of an upload as the dry run left it. */
export interface StagedRow {
  line: number;
  key: string;
  fields: Record<string, string>;
  plan: ImportPlan;
  message: string;
  personId: string | null;
}

/** Writes a chunk of rows in one statement (one JSON parameter, whatever the chunk's size). */
export async function stageRows(ctx: ServiceContext, importId: string, rows: StagedRow[]) {
  if (!rows.length) return;
  await ctx.db.execute(sql`
    insert into import_rows (import_id, line, key, fields, plan, message, person_id)
    select ${importId}::uuid, v.line, v.key, v.fields, v.plan, v.message, v.person_id
      from jsonb_to_recordset(${JSON.stringify(
        rows.map((r) => ({
          line: r.line,
          key: r.key,
          fields: r.fields,
          plan: r.plan,
          message: r.message,
          person_id: r.personId,
        })),
      )}::jsonb) as v(line int, key text, fields jsonb, plan text, message text, person_id uuid)`);
}

/** Counts of each plan, for the import's `planned`. */
export function countPlans(into: Record<string, number>, rows: { plan: string }[]) {
  for (const r of rows) into[r.plan] = (into[r.plan] ?? 0) + 1;
}
