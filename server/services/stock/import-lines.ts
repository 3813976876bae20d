/**
 * The lines of a card import, read before anything touches the database: a pasted list (one
 * card a line: its serial, then its management key after a comma, semicolon or space when it
 * is not the manufacturer's default) or a CSV file (`serial[,management_key]`, an optional
 * heading line, fields optionally in double quotes). Each problem is named by its line
 * number, as the person's editor numbers it (blank lines count, and are skipped).
 *
 * No message here repeats a management key, nor a field that failed as a serial (it may be a
 * key in the wrong column): a message names the line, and a serial only once it is valid.
 */

/** A card serial, as everywhere in the API (server/routes/cards.ts). */
export const serialPattern = /^[0-9A-Za-z-]{1,64}$/;

/** The most card lines one import takes. */
export const maxImportLines = 10_000;

/**
 * The PIV management key cards leave the factory with (NIST SP 800-73's test key, which
 * YubiKeys and most PIV cards ship with): 3DES, 24 bytes.
 */
export const defaultManagementKey = '010203040506070801020304050607080102030405060708';

/** A management key's length in hex digits: AES-128 (32), 3DES or AES-192 (48), AES-256 (64). */
const keyLengths = new Set([32, 48, 64]);

export type ImportFormat = 'list' | 'csv';

export interface ImportLine {
  line: number;
  serial: string;
  /** Hex, lower case. */
  managementKey: string;
  /** True when the line gave no key and the manufacturer's default is assumed. */
  defaultKey: boolean;
}

export interface LineProblem {
  line: number;
  message: string;
}

export interface ParsedImport {
  entries: ImportLine[];
  lineProblems: LineProblem[];
  /** What is wrong with the text as a whole (empty, too long); then nothing else is read. */
  problem: string | null;
}

const headingWords = new Set(['serial', 'serialnumber', 'cardserial', 'serialno']);

/** Whether a CSV line is a heading (`serial,management_key`), not a card. */
function isHeading(fields: string[]): boolean {
  const first = (fields[0] ?? '').toLowerCase().replace(/[\s_.-]/g, '');
  return headingWords.has(first);
}

/**
 * One CSV line's fields (RFC 4180 quoting within a line: `"a","b"`, `""` for a quote), or
 * null when a quote is not closed or text follows a closing quote. Values here never hold a
 * line break, so a quoted field spanning lines is malformed.
 */
export function csvFields(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const end = line.indexOf(',', i);
      value = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
      if (value.includes('"')) return null;
    }
    fields.push(value.trim());
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

function fieldsOf(line: string, format: ImportFormat): string[] | null {
  const fields = format === 'csv' ? csvFields(line) : line.split(/\s*[,;]\s*|\s+/);
  // Spreadsheets write empty trailing columns as trailing commas.
  while (fields && fields.length > 1 && fields.at(-1) === '') fields.pop();
  return fields;
}

/** Why a management key is not one, in words that do not repeat it; null when it is one. */
export function managementKeyProblem(key: string): string | null {
  if (!/^[0-9A-Fa-f]*$/.test(key)) {
    return 'the management key is not hexadecimal (digits 0-9 and letters A-F only)';
  }
  if (!keyLengths.has(key.length)) {
    return `the management key has ${key.length} hexadecimal digits; a 3DES key has 48, an AES key 32, 48 or 64`;
  }
  return null;
}

/** Reads an import's text into card lines and line problems. Pure: the tests call it alone. */
export function parseImport(text: string, format: ImportFormat): ParsedImport {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const entries: ImportLine[] = [];
  const lineProblems: LineProblem[] = [];
  const firstLineOf = new Map<string, number>();
  let cardLines = 0;
  let headingAllowed = format === 'csv';
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    const fields = fieldsOf(trimmed, format);
    if (headingAllowed) {
      headingAllowed = false;
      if (fields && isHeading(fields)) continue;
    }
    cardLines++;
    if (cardLines > maxImportLines) continue;
    const problem = (message: string) =>
      lineProblems.push({ line, message: `Line ${line}: ${message}` });
    if (!fields) {
      problem('a double quote is not closed, or text follows a closing quote');
      continue;
    }
    if (fields.length > 2) {
      problem(
        `has ${fields.length} fields; give the serial and, only if it is not the manufacturer's default, the management key`,
      );
      continue;
    }
    const [serial = '', key = ''] = fields;
    if (serial === '') {
      problem('has no serial before the management key');
      continue;
    }
    if (!serialPattern.test(serial)) {
      problem('the serial is not 1 to 64 letters, digits and hyphens');
      continue;
    }
    const keyProblem = key === '' ? null : managementKeyProblem(key);
    if (keyProblem) {
      problem(keyProblem);
      continue;
    }
    const folded = serial.toLowerCase();
    const first = firstLineOf.get(folded);
    if (first !== undefined) {
      problem(`card ${serial} is on line ${first} already`);
      continue;
    }
    firstLineOf.set(folded, line);
    entries.push({
      line,
      serial,
      managementKey: (key || defaultManagementKey).toLowerCase(),
      defaultKey: key === '',
    });
  }
  if (cardLines > maxImportLines) {
    return {
      entries: [],
      lineProblems: [],
      problem: `has ${cardLines.toLocaleString('en-GB')} cards; import at most ${maxImportLines.toLocaleString('en-GB')} at a time`,
    };
  }
  if (cardLines === 0) {
    return {
      entries: [],
      lineProblems: [],
      problem: 'has no card serials: give one serial a line',
    };
  }
  return { entries, lineProblems, problem: null };
}
