import type { ImportPlan } from '../../../db/schema/imports.ts';
import type { TxContext } from '../context.ts';
import { copyLine, copyRows } from './copy-rows.ts';

/** One row of an upload as the dry run left it. */
export interface StagedRow {
  line: number;
  key: string;
  fields: Record<string, string>;
  /** The row as read and checked (see `import_rows.parsed`), or null. */
  parsed?: object | null;
  plan: ImportPlan;
  message: string;
  personId: string | null;
}

const columns = [
  'import_id',
  'line',
  'key',
  'fields',
  'parsed',
  'plan',
  'message',
  'person_id',
] as const;

/** Writes a chunk of rows in one COPY. */
export async function stageRows(ctx: TxContext, importId: string, rows: StagedRow[]) {
  await copyRows(
    ctx,
    'import_rows',
    columns,
    rows.map((r) =>
      copyLine([
        importId,
        r.line,
        r.key,
        JSON.stringify(r.fields),
        r.parsed ? JSON.stringify(r.parsed) : null,
        r.plan,
        r.message,
        r.personId,
      ]),
    ),
  );
}

/** Counts of each plan, for the import's `planned`. */
export function countPlans(into: Record<string, number>, rows: { plan: string }[]) {
  for (const r of rows) into[r.plan] = (into[r.plan] ?? 0) + 1;
}
