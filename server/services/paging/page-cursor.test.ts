import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from './page-cursor.ts';

const id = '0b7c6a52-3f0e-4c1a-9d2e-5f6a7b8c9d0e';
const b64 = (text: string) => Buffer.from(text).toString('base64url');

function refusal(cursor: string, parts: Parameters<typeof decodeCursor>[1]) {
  try {
    decodeCursor(cursor, parts);
  } catch (e) {
    return e;
  }
  return null;
}

describe('page cursors', () => {
  it('gives back what it encoded', () => {
    const cursor = encodeCursor(['smith', 'zoë 😀', id]);
    expect(decodeCursor(cursor, ['text', 'text', 'uuid'])).toEqual(['smith', 'zoë 😀', id]);
    expect(
      decodeCursor(encodeCursor(['2026-11-25T09:00:00.000Z', id]), ['timestamp', 'uuid']),
    ).toEqual(['2026-11-25T09:00:00.000Z', id]);
    expect(decodeCursor(encodeCursor([0]), ['offset'])).toEqual([0]);
    expect(decodeCursor(encodeCursor([42]), ['serial'])).toEqual([42]);
    expect(
      decodeCursor(encodeCursor(['2026-11-25T09:00:00.123456Z', 'x']), ['instant?', 'text']),
    ).toEqual(['2026-11-25T09:00:00.123456Z', 'x']);
    expect(decodeCursor(encodeCursor([null, 'x']), ['instant?', 'text'])).toEqual([null, 'x']);
  });

  it.each([
    ['not base64url', 'a cursor!', ['offset']],
    ['not JSON', b64('garbage'), ['offset']],
    ['not an array', b64('{"offset":1}'), ['offset']],
    ['too few parts', b64('["a","b"]'), ['text', 'text', 'uuid']],
    ['too many parts', b64('[1,2]'), ['offset']],
    ['a NUL in text', b64('["a\\u0000"]'), ['text']],
    ['a lone surrogate in text', b64('["a\\ud800"]'), ['text']],
    // Longer than any name key can be (100 characters, at most 18-fold under NFKC).
    ['over-long text', encodeCursor(['x'.repeat(4001)]), ['text']],
    ['a uuid that is not one', b64('["------------------------------------"]'), ['uuid']],
    ['30 February', b64('["2026-02-30T00:00:00.000Z"]'), ['timestamp']],
    ['a year out of range', b64('["-271821-04-20T00:00:00.000Z"]'), ['timestamp']],
    // JavaScript reads year 0000 (1 BC); PostgreSQL refuses it: a 500 if it got that far.
    ['year 0000', b64('["0000-01-01T00:00:00.000Z"]'), ['timestamp']],
    ['an instant in year 0000', b64('["0000-01-01T00:00:00.000000Z"]'), ['instant?']],
    ['a negative offset', b64('[-1]'), ['offset']],
    ['an infinite offset', b64('[1e400]'), ['offset']],
    ['a fractional offset', b64('[1.5]'), ['offset']],
    ['serial 0', b64('[0]'), ['serial']],
    ['null where an instant must be', b64('[null]'), ['timestamp']],
    ['an instant to the millisecond only', b64('["2026-11-25T09:00:00.123Z"]'), ['instant?']],
    ['an instant on 30 February', b64('["2026-02-30T09:00:00.123456Z"]'), ['instant?']],
    ['an instant not in UTC', b64('["2026-11-25T09:00:00.123456+01:00"]'), ['instant?']],
    [
      'invalid UTF-8',
      Buffer.from([0x5b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x5d]).toString('base64url'),
      ['text'],
    ],
    ['a plain number', '99999999999999', ['serial']],
  ] as const)('refuses %s, naming cursor', (_, cursor, parts) => {
    const e = refusal(cursor, parts);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).details).toEqual([
      { field: 'cursor', message: expect.stringMatching(/nextCursor/) },
    ]);
  });
});
