/**
 * A small reader of ASN.1 BER/DER encodings: enough to walk an X.509 certificate without an
 * ASN.1 library (the reader agent keeps asn1js and pkijs out of its memory). Every
 * constructed element is parsed down to its primitives, as asn1js's fromBER does, so bytes
 * that are not well-formed fail here, wherever the fault is.
 */

/** The first identifier octet's class bits. */
export const tagClass = { universal: 0x00, application: 0x40, context: 0x80, private: 0xc0 };

export interface DerElement {
  /** One of tagClass. */
  tagClass: number;
  constructed: boolean;
  tagNumber: number;
  /** The contents octets (of an indefinite length, those before the end-of-contents). */
  contents: Buffer;
  /** A constructed element's elements, in order; none for a primitive. */
  children: DerElement[];
  /** The whole element as encoded: identifier, length and contents. */
  encoding: Buffer;
}

export class DerError extends Error {
  override name = 'DerError';
}

/** Deeper than this is no certificate, and no stack is spent on it. */
const maxDepth = 64;

function readElement(
  buf: Buffer,
  start: number,
  depth: number,
): { element: DerElement; end: number } {
  if (depth > maxDepth) throw new DerError(`nested deeper than ${maxDepth}`);
  let at = start;
  const byte = () => {
    if (at >= buf.length) throw new DerError(`the encoding ends at byte ${at}, inside an element`);
    return buf[at++] as number;
  };
  const first = byte();
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let b = byte(), n = 0; ; b = byte(), n += 1) {
      if (n >= 4) throw new DerError('a tag number longer than 4 bytes');
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
  }
  const constructed = (first & 0x20) !== 0;
  const lengthByte = byte();
  const children: DerElement[] = [];
  if (lengthByte === 0x80) {
    // Indefinite length (BER): elements up to an end-of-contents, 00 00.
    if (!constructed) throw new DerError('an indefinite length on a primitive element');
    const contentsStart = at;
    for (;;) {
      if (at + 1 < buf.length && buf[at] === 0 && buf[at + 1] === 0) {
        return { element: made(contentsStart, at, at + 2), end: at + 2 };
      }
      const child = readElement(buf, at, depth + 1);
      children.push(child.element);
      at = child.end;
    }
  }
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4) throw new DerError(`a length of ${count} bytes`);
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + byte();
  }
  const end = at + length;
  if (end > buf.length)
    throw new DerError(`an element of ${length} bytes where ${buf.length - at} are left`);
  if (constructed) {
    let childAt = at;
    while (childAt < end) {
      const child = readElement(buf.subarray(0, end), childAt, depth + 1);
      if (child.element.tagClass === tagClass.universal && child.element.tagNumber === 0)
        throw new DerError('an end-of-contents inside a definite length');
      children.push(child.element);
      childAt = child.end;
    }
  }
  return { element: made(at, end, end), end };

  function made(from: number, to: number, end: number): DerElement {
    return {
      tagClass: first & 0xc0,
      constructed,
      tagNumber,
      contents: buf.subarray(from, to),
      children,
      encoding: buf.subarray(start, end),
    };
  }
}

/** The first element encoded in `buf` (bytes after it are not read, as asn1js's fromBER). */
export function readDer(buf: Buffer): DerElement {
  return readElement(buf, 0, 0).element;
}

/** Universal tag numbers the certificate reader needs. */
export const universal = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  utcTime: 23,
  generalizedTime: 24,
  bmpString: 30,
  universalString: 28,
} as const;

/** True when `e` is the universal type `tagNumber` (constructed or not, as given). */
export const isUniversal = (
  e: DerElement | undefined,
  tagNumber: number,
  constructed?: boolean,
): e is DerElement =>
  !!e &&
  e.tagClass === tagClass.universal &&
  e.tagNumber === tagNumber &&
  (constructed === undefined || e.constructed === constructed);

/** An OBJECT IDENTIFIER's dotted form. */
export function oidString(e: DerElement): string {
  const bytes = e.contents;
  if (!bytes.length) throw new DerError('an empty OBJECT IDENTIFIER');
  // BigInt: an arc may be larger than 2^53 (2.25.<a UUID>).
  const arcs: bigint[] = [];
  let value = 0n;
  for (const b of bytes) {
    value = value * 128n + BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  if ((bytes.at(-1) ?? 0) & 0x80) throw new DerError('an OBJECT IDENTIFIER that ends mid-arc');
  const [firstArc = 0n, ...rest] = arcs;
  const head =
    firstArc < 40n ? [0n, firstArc] : firstArc < 80n ? [1n, firstArc - 40n] : [2n, firstArc - 80n];
  return [...head, ...rest].join('.');
}
