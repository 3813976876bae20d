import { describe, expect, it } from 'vitest';
import { noFlagsMessage } from './card-words.ts';

describe('noFlagsMessage', () => {
  it('says open flags leave nothing to act on', () => {
    expect(noFlagsMessage('open', '')).toBe('No open flags: nothing to act on.');
    expect(noFlagsMessage('open', 'pin_last_try')).toBe(
      'No open ‘PIN on last try’ flags: nothing to act on.',
    );
  });

  it('says only that there are none when resolved or all flags are asked for', () => {
    expect(noFlagsMessage('resolved', '')).toBe('No resolved flags.');
    expect(noFlagsMessage('resolved', 'pin_blocked')).toBe('No resolved ‘PIN blocked’ flags.');
    expect(noFlagsMessage('all', '')).toBe('No flags, open or resolved.');
    expect(noFlagsMessage('all', 'unknown_card')).toBe(
      'No ‘Unknown card’ flags, open or resolved.',
    );
  });
});
