import { describe, expect, it } from 'vitest';
import {
  csvFields,
  defaultManagementKey,
  managementKeyProblem,
  maxImportLines,
  parseImport,
} from './import-lines.ts';

const aes128 = '00112233445566778899AABBCCDDEEFF';
const aes256 = `${aes128}${aes128}`;
const des3 = '0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a09080';

describe('reading the lines of a card import', () => {
  it('reads a pasted list: one serial a line, a key after a comma, semicolon or space, blank lines skipped', () => {
    const parsed = parseImport(
      [
        '  CARD-0001',
        '',
        `card-0002, ${aes128}`,
        `CARD-0003;${des3}`,
        `CARD-0004\t${aes256}`,
        'CARD-0005,',
      ].join('\n'),
      'list',
    );
    expect(parsed.problem).toBeNull();
    expect(parsed.lineProblems).toEqual([]);
    expect(parsed.entries).toEqual([
      { line: 1, serial: 'CARD-0001', managementKey: defaultManagementKey, defaultKey: true },
      { line: 3, serial: 'card-0002', managementKey: aes128.toLowerCase(), defaultKey: false },
      { line: 4, serial: 'CARD-0003', managementKey: des3, defaultKey: false },
      { line: 5, serial: 'CARD-0004', managementKey: aes256.toLowerCase(), defaultKey: false },
      { line: 6, serial: 'CARD-0005', managementKey: defaultManagementKey, defaultKey: true },
    ]);
  });

  it('reads a CSV file with a heading, quotes, CRLF line ends, a byte-order mark and trailing empty columns', () => {
    const csv = `\uFEFFSerial,Management_Key\r\n"A1","${aes128}"\r\nA2,\r\n"A""3",x\r\nA4,,\r\n`;
    const parsed = parseImport(csv, 'csv');
    expect(parsed.entries.map((e) => [e.line, e.serial, e.defaultKey])).toEqual([
      [2, 'A1', false],
      [3, 'A2', true],
      [5, 'A4', true],
    ]);
    expect(parsed.lineProblems).toEqual([
      { line: 4, message: 'Line 4: the serial is not 1 to 64 letters, digits and hyphens' },
    ]);
  });

  it('takes a first CSV line that is a card as a card, and a heading only on the first line', () => {
    const parsed = parseImport('A1\nserial\n', 'csv');
    expect(parsed.entries.map((e) => e.serial)).toEqual(['A1', 'serial']);
    // A pasted list has no heading: "serial" there is a card's serial like any other.
    expect(parseImport('serial\n', 'list').entries.map((e) => e.serial)).toEqual(['serial']);
  });

  it('names every malformed line by its number, without repeating a key or a bad serial', () => {
    const badKey = `ZZ${aes128.slice(2)}`;
    const lines = [
      'GOOD-1',
      'bad!serial',
      `GOOD-2,${badKey}`,
      `GOOD-3,${aes128.slice(0, 30)}`,
      `GOOD-4,${aes128},extra`,
      `,${aes128}`,
      'x'.repeat(65),
      'good-1',
      'GOOD-5',
    ];
    const parsed = parseImport(lines.join('\n'), 'list');
    expect(parsed.entries.map((e) => e.serial)).toEqual(['GOOD-1', 'GOOD-5']);
    expect(parsed.lineProblems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(parsed.lineProblems.map((p) => p.message)).toEqual([
      'Line 2: the serial is not 1 to 64 letters, digits and hyphens',
      'Line 3: the management key is not hexadecimal (digits 0-9 and letters A-F only)',
      'Line 4: the management key has 30 hexadecimal digits; a 3DES key has 48, an AES key 32, 48 or 64',
      "Line 5: has 3 fields; give the serial and, only if it is not the manufacturer's default, the management key",
      'Line 6: has no serial before the management key',
      'Line 7: the serial is not 1 to 64 letters, digits and hyphens',
      'Line 8: card good-1 is on line 1 already',
    ]);
    const said = JSON.stringify(parsed.lineProblems).toLowerCase();
    expect(said).not.toContain(aes128.toLowerCase().slice(0, 30));
    expect(said).not.toContain('x'.repeat(65));
  });

  it('refuses a CSV line with an unclosed quote or text after a closing quote', () => {
    expect(csvFields('"A1')).toBeNull();
    expect(csvFields('"A1"x,B')).toBeNull();
    expect(csvFields('A"1,B')).toBeNull();
    expect(csvFields(' "A,1" , B ')).toEqual(['A,1', 'B']);
    expect(csvFields('A,')).toEqual(['A', '']);
    const parsed = parseImport('"A1\nA2', 'csv');
    expect(parsed.lineProblems).toEqual([
      { line: 1, message: 'Line 1: a double quote is not closed, or text follows a closing quote' },
    ]);
    expect(parsed.entries.map((e) => e.serial)).toEqual(['A2']);
  });

  it('says an import with no card in it is empty, however many blank lines or headings it has', () => {
    for (const [text, format] of [
      ['', 'list'],
      ['\n  \n\t\n', 'list'],
      ['serial,management_key\n\n', 'csv'],
    ] as const) {
      expect(parseImport(text, format)).toEqual({
        entries: [],
        lineProblems: [],
        problem: 'has no card serials: give one serial a line',
      });
    }
  });

  it(`takes at most ${maxImportLines} cards, and says how many it was given`, () => {
    const serials = (n: number) => Array.from({ length: n }, (_, i) => `S-${i}`).join('\n');
    expect(parseImport(serials(maxImportLines), 'list').entries).toHaveLength(maxImportLines);
    expect(parseImport(`serial\n${serials(maxImportLines)}`, 'csv').entries).toHaveLength(
      maxImportLines,
    );
    expect(parseImport(serials(maxImportLines + 1), 'list')).toEqual({
      entries: [],
      lineProblems: [],
      problem: 'has 10,001 cards; import at most 10,000 at a time',
    });
  });

  it('knows a management key by its hex digits and length alone', () => {
    expect(managementKeyProblem(defaultManagementKey)).toBeNull();
    expect(managementKeyProblem(aes128)).toBeNull();
    expect(managementKeyProblem(aes256)).toBeNull();
    expect(managementKeyProblem(`${aes256}00`)).toMatch(/66 hexadecimal digits/);
    expect(managementKeyProblem(`0x${aes128.slice(2)}`)).toMatch(/not hexadecimal/);
  });
});
