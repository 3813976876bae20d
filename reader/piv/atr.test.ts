import { describe, expect, it } from 'vitest';
import { simulatorAtrs } from '../simulator/card-profile.ts';
import { atrWithHistoricalBytes, extendedLengthOf, historicalBytes } from './atr.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('what an ATR says of extended-length APDUs', () => {
  it('finds the historical bytes past the interface bytes', () => {
    // A YubiKey 5: TA1 TB1 TC1 TD1, TD2 (T=1), TA3 TB3, 13 historical bytes, TCK.
    const yubikey = hex('3bfd1300008131fe15 8073c021c057597562694b6579 40');
    expect(historicalBytes(yubikey)?.toString('hex')).toBe('8073c021c057597562694b6579');
    expect(historicalBytes(hex('3b80800101'))?.length).toBe(0);
    // Announcing more than is there.
    expect(historicalBytes(hex('3b8580018073'))).toBeUndefined();
    expect(historicalBytes(hex('3b80'))).toBeUndefined();
  });

  it('reads the third software function table of the card capabilities (tag 7)', () => {
    expect(extendedLengthOf(hex('3bfd1300008131fe158073c021c057597562694b657940'))).toBe(true);
    expect(extendedLengthOf(hex(simulatorAtrs.extended))).toBe(true);
    expect(extendedLengthOf(hex(simulatorAtrs.short))).toBe(false);
    // Category 00: the last three bytes are the status indicator, outside the objects.
    expect(extendedLengthOf(atrWithHistoricalBytes(hex('00 73000000 009000')))).toBe(false);
    expect(extendedLengthOf(atrWithHistoricalBytes(hex('00 31c0 7300c040 009000')))).toBe(true);
  });

  it('says nothing when the ATR says nothing, so the agent asks the card', () => {
    expect(extendedLengthOf(undefined)).toBeUndefined();
    expect(extendedLengthOf(hex(simulatorAtrs.plain))).toBeUndefined();
    // Capabilities with only the first two tables.
    expect(extendedLengthOf(atrWithHistoricalBytes(hex('80 72c021')))).toBeUndefined();
    // A proprietary category, and a capabilities object cut short.
    expect(extendedLengthOf(atrWithHistoricalBytes(hex('4a 73c02180')))).toBeUndefined();
    expect(extendedLengthOf(atrWithHistoricalBytes(hex('80 73c021')))).toBeUndefined();
    expect(extendedLengthOf(hex('3b'))).toBeUndefined();
  });

  it("builds the simulator's ATRs with their check byte", () => {
    expect(simulatorAtrs.plain).toBe('3b80800101');
    for (const atr of Object.values(simulatorAtrs)) {
      const bytes = hex(atr);
      expect(bytes.subarray(1).reduce((x, b) => x ^ b, 0)).toBe(0);
    }
  });
});
