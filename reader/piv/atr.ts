/**
 * What a card's ATR says about extended-length APDUs (ISO/IEC 7816-3 and 7816-4): the
 * historical bytes, in compact-TLV after a category indicator of 00 or 80, may carry the
 * card capabilities (tag 7, up to three software function tables); bit 0x40 of the third
 * table means "extended Lc and Le fields". Shared by the agent, which reads it, and the
 * simulator, which builds ATRs that say either.
 */

/** The historical bytes of an ATR, or undefined when the ATR is too short for what it announces. */
export function historicalBytes(atr: Buffer): Buffer | undefined {
  if (atr.length < 2) return undefined;
  const t0 = atr[1] as number;
  const count = t0 & 0x0f;
  let indicator = t0 >> 4;
  let at = 2;
  for (;;) {
    // TA, TB and TC (bits 0 to 2) are skipped; TD (bit 3) announces the next group.
    at += [1, 2, 4].filter((bit) => indicator & bit).length;
    if (!(indicator & 8)) break;
    if (at >= atr.length) return undefined;
    indicator = (atr[at] as number) >> 4;
    at += 1;
  }
  return at + count <= atr.length ? atr.subarray(at, at + count) : undefined;
}

/**
 * Whether the card says it takes extended Lc and Le: true or false when its ATR carries the
 * third software function table of the card capabilities, undefined when it says nothing
 * (no historical bytes, a proprietary category, a shorter capabilities object, or bytes that
 * do not parse) and the agent has to find out by asking.
 */
export function extendedLengthOf(atr: Buffer | undefined): boolean | undefined {
  const bytes = atr && historicalBytes(atr);
  if (!bytes?.length) return undefined;
  const category = bytes[0];
  // Category 00 ends with three status bytes outside the TLV objects; 80 has only objects.
  const end = category === 0x00 ? bytes.length - 3 : category === 0x80 ? bytes.length : -1;
  if (end < 1) return undefined;
  let at = 1;
  while (at < end) {
    const header = bytes[at] as number;
    const tag = header >> 4;
    const length = header & 0x0f;
    const value = bytes.subarray(at + 1, at + 1 + length);
    if (value.length !== length || at + 1 + length > end) return undefined;
    if (tag === 0x7) return length >= 3 ? ((value[2] as number) & 0x40) !== 0 : undefined;
    at += 1 + length;
  }
  return undefined;
}

/**
 * An ATR for T=0 and T=1 with these historical bytes, its check byte (TCK) computed: the shape
 * of the simulator's ATRs (`3b 8K 80 01 <historical> TCK`).
 */
export function atrWithHistoricalBytes(historical: Buffer): Buffer {
  if (historical.length > 15) throw new RangeError('an ATR holds at most 15 historical bytes');
  const body = Buffer.concat([Buffer.from([0x80 | historical.length, 0x80, 0x01]), historical]);
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Buffer.concat([Buffer.from([0x3b]), body, Buffer.from([tck])]);
}
