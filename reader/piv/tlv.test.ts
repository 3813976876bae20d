import { describe, expect, it } from 'vitest';
import { find, readAll, readTlv, TlvError, tlv } from './tlv.ts';

describe('PIV TLV', () => {
  it('round-trips short and long lengths and multi-byte tags', () => {
    const long = Buffer.alloc(300, 7);
    const encoded = Buffer.concat([
      tlv(0x5fc105, Buffer.from([1, 2])),
      tlv(0x70, long),
      tlv(0x7f49, tlv(0x86, Buffer.from([4]))),
    ]);
    const items = readAll(encoded);
    expect(items.map((t) => t.tag)).toEqual([0x5fc105, 0x70, 0x7f49]);
    expect(items[1]?.value.length).toBe(300);
    expect(find(encoded, 0x70)?.equals(long)).toBe(true);
    expect(encoded.subarray(4, 8).toString('hex')).toBe('01027082');
  });

  it('refuses truncated input instead of reading past it', () => {
    expect(() => readTlv(Buffer.from([0x53, 0x82, 0x01]))).toThrow(TlvError);
    expect(() => readTlv(Buffer.from([0x53, 0x05, 1, 2]))).toThrow(/truncated/);
    expect(() => readTlv(Buffer.from([0x5f]))).toThrow(TlvError);
    expect(() => readTlv(Buffer.from([0x53, 0x84, 0, 0, 0, 1]))).toThrow(/length form/);
  });
});
