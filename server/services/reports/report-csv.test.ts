import { buffer } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvStream, neutraliseFormula } from './report-csv.ts';

describe('neutraliseFormula', () => {
  it.each([
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ['+44 20', "'+44 20"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
  ])('puts an apostrophe before %j', (cell, safe) => {
    expect(neutraliseFormula(cell)).toBe(safe);
  });

  it.each(['Priya Patel', "O'Brien", 'a=b', '2026-11-25', ''])('leaves %j alone', (cell) => {
    expect(neutraliseFormula(cell)).toBe(cell);
  });
});

describe('csvStream', () => {
  it('writes a heading, every row, quotes where needed and neutralised text cells', async () => {
    async function* rows() {
      yield { name: '=HYPERLINK("http://x")', n: -1 };
      yield { name: 'Zoë, "Zo" Smith', n: 2 };
    }
    const bytes = await buffer(
      csvStream(
        [
          { header: 'Name', value: (r: { name: string; n: number }) => r.name },
          { header: 'Count', value: (r) => r.n },
        ],
        rows(),
      ),
    );
    // The byte order mark, then the heading with CRLF.
    expect(bytes.subarray(0, 3).toString('hex')).toBe('efbbbf');
    const csv = bytes.toString('utf8');
    expect(csv.startsWith('\uFEFFName,Count\r\n')).toBe(true);
    expect(parse(csv, { bom: true })).toEqual([
      ['Name', 'Count'],
      ['\'=HYPERLINK("http://x")', '-1'],
      ['Zoë, "Zo" Smith', '2'],
    ]);
  });
});
