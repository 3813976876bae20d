import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * That a set of organisations (a sorted `text[]` of ODS codes, as triggers keep it on cards,
 * card flags and the dashboard's tallies, db/migrations/0016, and on people, 0020) meets
 * these codes: `&&`, which a GIN index answers, or a btree index holding the column tests
 * from the index alone. Each code is its own parameter.
 */
export function holderIn(column: AnyPgColumn, codes: readonly string[]): SQL {
  return sql`${column} && array[${sql.join(
    codes.map((code) => sql`${code}`),
    sql`, `,
  )}]::text[]`;
}
