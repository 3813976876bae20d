import { describe, expect, it } from 'vitest';
import { lowerFirst, missingMessage } from './messages.ts';

const input = { type: 'text', tagName: 'INPUT' };
const select = { type: 'select-one', tagName: 'SELECT' };

describe('the message for an empty field', () => {
  it('names the field by its own label, in lower case, once', () => {
    expect(missingMessage(input, 'Document number')).toBe('Enter the document number');
    expect(missingMessage(input, 'Name')).toBe('Enter the name');
    expect(missingMessage(select, 'Type')).toBe('Choose the type');
    expect(missingMessage({ type: 'checkbox', tagName: 'INPUT' }, 'Organisations')).toBe(
      'Choose the organisations',
    );
    // A file is chosen, not typed.
    expect(missingMessage({ type: 'file', tagName: 'INPUT' }, 'ESR file')).toBe(
      'Choose the ESR file',
    );
  });

  it('keeps the capitals of an abbreviation', () => {
    expect(lowerFirst('ODS code')).toBe('ODS code');
    expect(lowerFirst('ID')).toBe('ID');
    expect(lowerFirst('Work email')).toBe('Work email'.replace('W', 'w'));
  });
});
