import type { TxContext } from '../context.ts';

/** A value of a COPY row: text, a number, or NULL. */
export type CopyValue = string | number | null;

/** What COPY's text format escapes: the backslash, the tab between values, line ends. */
const special = /[\\\t\n\r]/;
const escapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One line of COPY's text format: values between tabs, NULL as `\N`, and a backslash, tab
 * or line end inside a value escaped (so no value ends the line, or the data, early).
 */
export function copyLine(values: CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) line += '\t';
    if (v === null || v === undefined) line += '\\N';
    else if (typeof v === 'number') line += String(v);
    else line += special.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => escapes[c] ?? c) : v;
  }
  return `${line}\n`;
}

/** postgres.js under drizzle: `unsafe(query).writable()` opens a COPY FROM STDIN. */
interface PostgresJsClient {
  unsafe(query: string): { writable(): Promise<NodeJS.WritableStream> } & Promise<unknown>;
}
/** PGlite under drizzle: `COPY … FROM '/dev/blob'` reads the blob given with the query. */
interface PgliteClient {
  query(query: string, params: unknown[], options: { blob: Blob }): Promise<unknown>;
}

/**
 * Writes rows into `table` with COPY, the cheapest way in: one statement, no parameters,
 * no JSON to build or parse. drizzle does not speak COPY, so this reaches the driver's own
 * client under drizzle's transaction (postgres.js or PGlite, as db/client.ts opens them).
 * `lines` are `copyLine`s of `columns`. In a transaction: a COPY that fails fails it.
 */
export async function copyRows(
  ctx: TxContext,
  table: string,
  columns: readonly string[],
  lines: string[],
): Promise<void> {
  if (!lines.length) return;
  const copy = `copy ${table} (${columns.join(', ')}) from stdin`;
  const client = (ctx.db as unknown as { session?: { client?: unknown } }).session?.client;
  if (client && typeof (client as PostgresJsClient).unsafe === 'function') {
    const pg = client as PostgresJsClient;
    const stream = await pg.unsafe(copy).writable();
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.write(lines.join(''), (error) => (error ? reject(error) : resolve()));
    });
    stream.end();
    // postgres.js resolves the COPY's stream at once and never reports an error that comes
    // after the end of its data (a key checked at the end of the statement): the next
    // statement on this connection waits for the COPY, and fails if it did.
    await pg.unsafe('select 1');
    return;
  }
  if (client && typeof (client as PgliteClient).query === 'function') {
    await (client as PgliteClient).query(copy.replace('from stdin', "from '/dev/blob'"), [], {
      blob: new Blob([lines.join('')]),
    });
    return;
  }
  throw new Error(`copyRows: no COPY for this database driver (${table})`);
}
