/**
 * A PostgreSQL array literal of `values` (`{"a","b",NULL}`), to pass a column of a batch as
 * ONE parameter and `unnest` it: no JSON to build in JavaScript or parse in the database,
 * and the same on postgres.js and PGlite. Cast it in the query (`::text[]`, `::int[]`).
 */
export function pgArray(values: readonly (string | number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number') out += String(v);
    else out += `"${v.replace(/[\\"]/g, '\\$&')}"`;
  }
  return `${out}}`;
}
