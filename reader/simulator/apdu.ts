/** A command APDU, short or extended (ISO 7816-4 cases 1 to 4). */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Buffer;
  /** Bytes the host accepts back: 256 for a short Le of 00, 65536 for an extended one. */
  le: number;
  extended: boolean;
}

export class ApduFormatError extends Error {
  override name = 'ApduFormatError';
}

export function parseApdu(raw: Buffer): CommandApdu {
  if (raw.length < 4) throw new ApduFormatError(`an APDU needs 4 header bytes, got ${raw.length}`);
  const [cla, ins, p1, p2] = [raw[0], raw[1], raw[2], raw[3]] as number[] as [
    number,
    number,
    number,
    number,
  ];
  const head = { cla, ins, p1, p2 };
  if (raw.length === 4) return { ...head, data: Buffer.alloc(0), le: 0, extended: false };
  const b4 = raw[4] as number;
  if (raw.length === 5) return { ...head, data: Buffer.alloc(0), le: b4 || 256, extended: false };
  if (b4 !== 0) {
    const end = 5 + b4;
    if (raw.length === end) return { ...head, data: raw.subarray(5, end), le: 0, extended: false };
    if (raw.length === end + 1) {
      return {
        ...head,
        data: raw.subarray(5, end),
        le: (raw[end] as number) || 256,
        extended: false,
      };
    }
    throw new ApduFormatError(`Lc says ${b4} bytes of data, but ${raw.length - 5} follow`);
  }
  if (raw.length === 7) {
    return { ...head, data: Buffer.alloc(0), le: raw.readUInt16BE(5) || 65536, extended: true };
  }
  const lc = raw.readUInt16BE(5);
  const end = 7 + lc;
  if (lc > 0 && raw.length === end)
    return { ...head, data: raw.subarray(7, end), le: 0, extended: true };
  if (lc > 0 && raw.length === end + 2) {
    return {
      ...head,
      data: raw.subarray(7, end),
      le: raw.readUInt16BE(end) || 65536,
      extended: true,
    };
  }
  throw new ApduFormatError(`extended Lc says ${lc} bytes, but the APDU has ${raw.length - 7}`);
}

export function response(data: Buffer, sw: number): Buffer {
  return Buffer.concat([data, Buffer.from([sw >> 8, sw & 0xff])]);
}
