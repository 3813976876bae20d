import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';

/** A value as COPY's text format reads it: null as \N, tabs, newlines and backslashes escaped. */
export type CopyValue = string | number | boolean | Date | null | readonly string[] | object;

function field(v: CopyValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'string') return escapeText(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v))
    return escapeText(`{${v.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
  return escapeText(JSON.stringify(v));
}

const special = /[\\\t\n\r]/;
function escapeText(s: string): string {
  if (!special.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/**
 * Streams rows into `table` with COPY FROM STDIN (text format), in chunks of about 256 KB, so
 * generating the next rows in JavaScript overlaps PostgreSQL parsing the last ones. Returns
 * how many rows went in.
 */
export async function copyRows(
  sql: postgres.Sql,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<number> {
  let count = 0;
  function* chunks() {
    let buffer = '';
    for (const row of rows as Iterable<readonly CopyValue[]>) {
      buffer += `${row.map(field).join('\t')}\n`;
      count++;
      if (buffer.length > 256_000) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  const target = await sql.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable();
  // An error while making rows must fail the load, not leave COPY waiting for more.
  const source = Readable.from(
    (function* () {
      try {
        yield* chunks();
      } catch (err) {
        console.error(`making rows for ${table} failed:`, err);
        throw err;
      }
    })(),
  );
  await pipeline(source, target);
  return count;
}
