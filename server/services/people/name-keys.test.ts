import { describe, expect, it } from 'vitest';
import { groupUserId, nameKey } from './name-keys.ts';
import { normalisedDocumentNumber } from './record-identity-check.ts';

describe('nameKey', () => {
  it('ignores case, accents and extra spaces', () => {
    expect(nameKey('  Zoë   Ó Briain ')).toBe('zoe o briain');
    expect(nameKey('ŁUKASZ')).toBe('łukasz'); // Ł has no decomposition: kept, lower-cased
    expect(nameKey('Renée')).toBe(nameKey('renee'));
  });
});

describe('nameKey against disguised duplicates', () => {
  it('folds fullwidth letters and drops zero-width spaces, soft hyphens and joiners', () => {
    const priya = nameKey('Priya Patel');
    expect(nameKey('Ｐｒｉｙａ Ｐａｔｅｌ')).toBe(priya);
    expect(nameKey('Pri\u200bya Pa\u00adtel')).toBe(priya);
    expect(nameKey('\ufeffPriya\u200d Patel')).toBe(priya);
  });
});

describe('normalisedDocumentNumber', () => {
  it('reads a passport number typed with invisible or fullwidth characters as the same number', () => {
    const plain = normalisedDocumentNumber('ZQ3108688');
    expect(normalisedDocumentNumber('ZQ3\u200b108688')).toBe(plain);
    expect(normalisedDocumentNumber('ＺQ3108688')).toBe(plain);
    expect(normalisedDocumentNumber('zq3108688\u00ad')).toBe(plain);
    expect(normalisedDocumentNumber('ZQ 310-8688')).toBe(plain);
  });
});

describe('groupUserId', () => {
  it('groups the 12 digits in fours', () => {
    expect(groupUserId('555086689106')).toBe('5550 8668 9106');
  });
});
