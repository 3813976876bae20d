/**
 * BER-TLV as PIV uses it (SP 800-73-4 part 2): tags of one to three bytes, lengths in the
 * short form or 81/82 long forms. Parsing never reads past the buffer: a truncated or
 * malformed object is an error, not a partial answer.
 */
export interface Tlv {
  tag: number;
  value: Buffer;
}

export class TlvError extends Error {
  override name = 'TlvError';
}

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length <= 0xff) return Buffer.from([0x81, length]);
  if (length <= 0xffff) return Buffer.from([0x82, length >> 8, length & 0xff]);
  throw new TlvError(`length ${length} is too long for PIV`);
}

function tagBytes(tag: number): Buffer {
  if (tag <= 0xff) return Buffer.from([tag]);
  if (tag <= 0xffff) return Buffer.from([tag >> 8, tag & 0xff]);
  return Buffer.from([tag >> 16, (tag >> 8) & 0xff, tag & 0xff]);
}

export function tlv(tag: number, ...values: Buffer[]): Buffer {
  const value = Buffer.concat(values);
  return Buffer.concat([tagBytes(tag), encodeLength(value.length), value]);
}

/** Reads one TLV at `offset`; returns it and the offset just after it. */
export function readTlv(buf: Buffer, offset = 0): { tlv: Tlv; next: number } {
  let p = offset;
  const need = (n: number) => {
    if (p + n > buf.length) throw new TlvError(`truncated TLV at byte ${p}`);
  };
  need(1);
  let tag = buf[p++] as number;
  if ((tag & 0x1f) === 0x1f) {
    // Multi-byte tag: continue while the high bit says more follows.
    do {
      need(1);
      const b = buf[p++] as number;
      tag = (tag << 8) | b;
      if (!(b & 0x80)) break;
    } while (tag <= 0xffffff);
  }
  need(1);
  let length = buf[p++] as number;
  if (length === 0x81) {
    need(1);
    length = buf[p++] as number;
  } else if (length === 0x82) {
    need(2);
    length = ((buf[p] as number) << 8) | (buf[p + 1] as number);
    p += 2;
  } else if (length > 0x82) {
    throw new TlvError(`unsupported TLV length form 0x${length.toString(16)} at byte ${p - 1}`);
  }
  need(length);
  return { tlv: { tag, value: buf.subarray(p, p + length) }, next: p + length };
}

/** Every TLV in `buf`, in order. */
export function readAll(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const { tlv: item, next } = readTlv(buf, offset);
    out.push(item);
    offset = next;
  }
  return out;
}

/** The value of the first TLV with `tag` among `buf`'s top-level TLVs. */
export function find(buf: Buffer, tag: number): Buffer | undefined {
  return readAll(buf).find((t) => t.tag === tag)?.value;
}
