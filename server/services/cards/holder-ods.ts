import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/** The codes as a `text[]` literal, each code its own parameter. */
export const odsCodeArray = (codes: readonly string[]): SQL =>
  sql`array[${sql.join(
    codes.map((code) => sql`${code}`),
    sql`, `,
  )}]::text[]`;

/**
 * That a set of organisations (a sorted `text[]` of ODS codes, as triggers keep it on cards,
 * card flags and the dashboard's tallies, db/migrations/0016, and on people, 0020) meets
 * these codes: `&&`, which a GIN index answers, or a btree index holding the column tests
 * from the index alone. The set is a column, or a name from the query (a set a recursive walk
 * found). Each code is its own parameter.
 */
export function holderIn(column: AnyPgColumn | SQL, codes: readonly string[]): SQL {
  return sql`${column} && ${odsCodeArray(codes)}`;
}

/**
 * That one ODS code (a column, or a name from the query such as an `unnest` of a set of
 * organisations) is one of these codes: `= any(…)`, which a btree index on the code answers.
 * Each code is its own parameter.
 */
export function odsCodeIn(code: AnyPgColumn | SQL, codes: readonly string[]): SQL {
  return sql`${code} = any(${odsCodeArray(codes)})`;
}
