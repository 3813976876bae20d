import { ValidationError } from '../../errors.ts';

/**
 * What a cursor holds, position by position:
 * `text` a sort key (at most 1,000 characters), `uuid` a row id, `timestamp` an instant as
 * `toISOString()` writes it, `offset` a position in a list (0 or more), `serial` a
 * bigserial id (1 or more), `instant?` an instant to the microsecond as PostgreSQL keeps it
 * (`2026-11-25T09:00:00.123456Z`, UTC) or null, for a sort key that may be empty.
 */
export type CursorPart = 'text' | 'uuid' | 'timestamp' | 'offset' | 'serial' | 'instant?';

type Decoded<P extends readonly CursorPart[]> = {
  [I in keyof P]: P[I] extends 'offset' | 'serial'
    ? number
    : P[I] extends 'instant?'
      ? string | null
      : string;
};

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const microInstant = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/;

function valid(part: CursorPart, value: unknown): boolean {
  switch (part) {
    case 'text':
      return (
        typeof value === 'string' &&
        // A name key: a name of 100 characters may grow 18-fold under NFKC (U+FDFA).
        value.length <= 4000 &&
        !value.includes('\u0000') &&
        !loneSurrogate.test(value)
      );
    case 'uuid':
      return typeof value === 'string' && uuid.test(value);
    case 'timestamp':
      return (
        typeof value === 'string' &&
        isoInstant.test(value) &&
        // Year 0000 is 1 BC to JavaScript, and no year at all to PostgreSQL.
        !value.startsWith('0000') &&
        !Number.isNaN(Date.parse(value)) &&
        new Date(value).toISOString() === value
      );
    case 'offset':
      return Number.isSafeInteger(value) && (value as number) >= 0;
    case 'serial':
      return Number.isSafeInteger(value) && (value as number) >= 1;
    case 'instant?': {
      if (value === null) return true;
      const ms = typeof value === 'string' ? microInstant.exec(value)?.[1] : undefined;
      return ms !== undefined && valid('timestamp', `${ms}Z`);
    }
  }
}

/** The next page's cursor: opaque to callers, the sort key of the last row to us. */
export function encodeCursor(values: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * The one place a cursor from a caller is decoded and checked, part by part, before any
 * of it reaches a query. Anything this server did not give out is a 400 naming `cursor`.
 */
export function decodeCursor<const P extends readonly CursorPart[]>(
  cursor: string,
  parts: P,
): Decoded<P> {
  if (/^[A-Za-z0-9_-]{1,8192}$/.test(cursor)) {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    try {
      const values: unknown = JSON.parse(text);
      if (
        Buffer.from(text).toString('base64url') === cursor &&
        Array.isArray(values) &&
        values.length === parts.length &&
        parts.every((part, i) => valid(part, values[i]))
      ) {
        return values as Decoded<P>;
      }
    } catch {
      // not JSON: refused below
    }
  }
  throw new ValidationError('The cursor is not one this server gave out.', [
    { field: 'cursor', message: 'must be the nextCursor of a previous page, unchanged' },
  ]);
}
