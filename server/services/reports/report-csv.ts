import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';

/** One column of a CSV download: its heading and how a row gives its cell. */
export interface CsvColumn<T> {
  header: string;
  value: (row: T) => string | number | null;
}

/**
 * Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"):
 * =, +, -, @, and a leading tab or carriage return that some spreadsheets skip first.
 */
const formulaStart = /^[=+\-@\t\r]/;

/**
 * A text cell a spreadsheet will show as text: one that would start a formula gets a
 * leading apostrophe ("=cmd|' /C calc'!A0" → "'=cmd|' /C calc'!A0"), as OWASP advises.
 * Numbers are the report's own figures and are left as they are.
 */
export function neutraliseFormula(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}

/**
 * The rows as a CSV stream (RFC 4180, CRLF line ends, a UTF-8 byte order mark so that
 * spreadsheets read accented names right), every text cell neutralised. Rows are pulled
 * from `rows` as the stream is read, so an async source is never held whole.
 */
export function csvStream<T>(
  columns: readonly CsvColumn<T>[],
  rows: Iterable<T> | AsyncIterable<T>,
): Readable {
  const cells = async function* () {
    for await (const row of rows) {
      yield columns.map((c) => {
        const value = c.value(row);
        return typeof value === 'string' ? neutraliseFormula(value) : value;
      });
    }
  };
  const csv = stringify({
    header: true,
    columns: columns.map((c) => c.header),
    bom: true,
    record_delimiter: 'windows',
  });
  const source = Readable.from(cells());
  source.on('error', (error) => csv.destroy(error));
  return source.pipe(csv);
}
