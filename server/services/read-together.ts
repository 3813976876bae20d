import { Column, is, SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { ServiceContext } from './context.ts';

type Part = (SQLWrapper & PromiseLike<unknown[]>) | null;
type RowsOf<P> = P extends PromiseLike<infer R> ? R : [];

/**
 * Several small reads as one statement: each query's rows come back as a JSON array in one
 * column of one row. A request that counts seven things pays one round trip, one parse and
 * one pooled connection instead of seven, which on two cores shared by four clients is most
 * of what such a request costs (the dashboard's seven counts take 0.1–3 ms each in the
 * database; the statements around them took longer).
 *
 * JSON carries the columns by their SQL names, so every column a part selects must be named
 * as its field is: a table's column of the same name, or an expression `.as('field')`
 * (checked: a part whose field would come back under another name is refused). Only
 * numbers, text and booleans come back as they went in (no dates). A null part gives [].
 */
export async function readTogether<P extends Record<string, Part>>(
  ctx: ServiceContext,
  parts: P,
): Promise<{ [K in keyof P]: RowsOf<P[K]> }> {
  const asked = Object.entries(parts).filter(
    (entry): entry is [string, NonNullable<Part>] => entry[1] !== null,
  );
  const found: Record<string, unknown[]> = Object.fromEntries(
    Object.keys(parts).map((name) => [name, []]),
  );
  for (const [name, query] of asked) namedAsItsFields(name, query);
  if (asked.length) {
    const columns: SQL[] = asked.map(
      ([name, query]) =>
        sql`(select coalesce(json_agg(part), '[]'::json) from (${query}) as part) as ${sql.identifier(name)}`,
    );
    const result = (await ctx.db.execute(sql`select ${sql.join(columns, sql`, `)}`)) as unknown as
      | Record<string, unknown>[]
      | { rows: Record<string, unknown>[] };
    const [row] = Array.isArray(result) ? result : result.rows;
    for (const [name] of asked) {
      const value = row?.[name];
      found[name] = (typeof value === 'string' ? JSON.parse(value) : (value ?? [])) as unknown[];
    }
  }
  return found as { [K in keyof P]: RowsOf<P[K]> };
}

/** That each field of a query's selection comes back in JSON under the field's own name. */
function namedAsItsFields(part: string, query: SQLWrapper): void {
  const selection = (
    query as { getSelectedFields?: () => Record<string, unknown> }
  ).getSelectedFields?.();
  for (const [field, value] of Object.entries(selection ?? {})) {
    const name = is(value, Column)
      ? value.name
      : is(value, SQL.Aliased)
        ? value.fieldAlias
        : undefined;
    if (name !== field) {
      throw new Error(
        `readTogether: ${part}.${field} would come back as ${name ?? 'an unnamed column'}; select it as .as('${field}')`,
      );
    }
  }
}
