import { describe, expect, it } from 'vitest';
import { groupUserId, nameKey } from './name-keys.ts';

describe('nameKey', () => {
  it('ignores case, accents and extra spaces', () => {
    expect(nameKey('  Zoë   Ó Briain ')).toBe('zoe o briain');
    expect(nameKey('ŁUKASZ')).toBe('łukasz'); // Ł has no decomposition: kept, lower-cased
    expect(nameKey('Renée')).toBe(nameKey('renee'));
  });
});

describe('groupUserId', () => {
  it('groups the 12 digits in fours', () => {
    expect(groupUserId('555086689106')).toBe('5550 8668 9106');
  });
});
