import { gunzipSync } from 'node:zlib';
import { CertificateError, type CertificateSummary } from '../../pki/certificate-summary-fields.ts';
import { parseCertificateDer } from '../../pki/der-certificate-summary.ts';
import { extendedLengthOf } from '../piv/atr.ts';
import { objectTags, pivAid, type Slot, slotObjects, slots, sw } from '../piv/constants.ts';
import { find, readAll, TlvError, tlv } from '../piv/tlv.ts';

/** Sends one APDU and returns response data + SW1 SW2. */
export type Transmit = (apdu: Buffer) => Promise<Buffer>;

export interface PinState {
  triesLeft: number | null;
  blocked: boolean;
  /** Already verified in this card session (by someone else's middleware). */
  verified: boolean;
}

/**
 * A certificate as read: its summary, and its DER in base64 (public data, as the card hands it
 * to anyone) so the server can check its signature against its own CA.
 */
export type CertificateReading = CertificateSummary & { der: string };

export type SlotReading =
  | { slot: Slot; certificate: CertificateReading }
  | { slot: Slot; error: string };

export interface PivReading {
  cardType: 'PIV';
  chuid: { guid: string | null; fascn: string | null; expiry: string | null } | null;
  /** Why the CHUID could not be read (the card refused it, or it does not parse); else null. */
  chuidError: string | null;
  /** The card's own serial number (decimal), asked for only when the CHUID has no GUID. */
  serialNumber: string | null;
  certificates: SlotReading[];
  pin: PinState;
  apdus: number;
  /**
   * True when objects were read (from some point on) with short APDUs chained by GET
   * RESPONSE: the ATR said the card takes no extended length, or the card or the reader
   * refused an extended one.
   */
  shortApdus: boolean;
}

export class CardReadError extends Error {
  override name = 'CardReadError';
}

/** One object could not be read (the card refused it, or it is too large): the rest can. */
export class CardObjectError extends CardReadError {
  override name = 'CardObjectError';
}

/** A CHUID GUID that identifies a card: 16 bytes, not all zero. */
export const usableGuid = (guid: string | null | undefined): string | null => {
  const hex = guid?.toLowerCase() ?? null;
  return hex && /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : null;
};

/**
 * A certificate larger than this is refused (the server takes no larger), and a compressed one
 * is never unpacked past it: no gzip bomb fills the agent's memory.
 */
export const maxCertificateBytes = 16 * 1024;
const maxObjectBytes = 64 * 1024;

const swOf = (r: Buffer) => (r.length >= 2 ? r.readUInt16BE(r.length - 2) : -1);
const dataOf = (r: Buffer) => r.subarray(0, r.length - 2);

/**
 * Reads a PIV card's identity, certificates and PIN state with as few APDUs as it can, and
 * never spends a PIN try (an empty VERIFY only asks). Objects come in one extended-length
 * GET DATA when the card takes it, else in 256-byte pieces chained with GET RESPONSE.
 *
 * `atr`, when given, decides up front: a card whose capabilities say it takes no extended
 * Lc and Le is asked in short APDUs from the start. Otherwise an object the extended form
 * does not bring (any refusal but "not found", or a transmit that fails, as on a reader
 * that carries only short APDUs) is asked for again in short form, and the rest of the card
 * is read short, unless the card refuses both forms alike (the object is refused, not the
 * form).
 */
export async function readPivCard(transmit: Transmit, atr?: Buffer): Promise<PivReading> {
  let apdus = 0;
  const send = async (apdu: Buffer) => {
    apdus += 1;
    const r = await transmit(apdu);
    if (r.length < 2)
      throw new CardReadError(`the card answered ${r.length} bytes: not an APDU response`);
    return r;
  };
  // Once false, false for the rest of the card.
  let extended = extendedLengthOf(atr) !== false;

  const collect = async (first: Buffer): Promise<Buffer | undefined> => {
    let r = first;
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const code = swOf(r);
      parts.push(dataOf(r));
      total += r.length - 2;
      if (total > maxObjectBytes)
        throw new CardObjectError('the card sent an object larger than 64 KiB');
      if (code === sw.ok) return Buffer.concat(parts);
      if (code >> 8 !== 0x61)
        return code === sw.notFound
          ? undefined
          : Promise.reject(new CardObjectError(`the card refused it: SW ${code.toString(16)}`));
      r = await send(Buffer.from([0x00, 0xc0, 0x00, 0x00, code & 0xff]));
    }
  };

  const getData = async (tag: number): Promise<Buffer | undefined> => {
    const tagBytes = Buffer.from(tag.toString(16).padStart(6, '0'), 'hex');
    const request = tlv(0x5c, tagBytes);
    const short = () =>
      send(
        Buffer.concat([
          Buffer.from([0x00, 0xcb, 0x3f, 0xff, request.length]),
          request,
          Buffer.from([0x00]),
        ]),
      );
    if (!extended) return collect(await short());
    let r: Buffer;
    try {
      r = await send(
        Buffer.concat([
          Buffer.from([0x00, 0xcb, 0x3f, 0xff, 0x00, 0x00, request.length]),
          request,
          Buffer.from([0x00, 0x00]),
        ]),
      );
    } catch {
      // The reader (or its driver) could not carry it: short APDUs from here on. A card
      // taken out fails the short one too, and that error is the one reported.
      extended = false;
      return collect(await short());
    }
    const code = swOf(r);
    if (code === sw.ok || code >> 8 === 0x61 || code === sw.notFound) return collect(r);
    // Refused: 6700, 6A80, 6A87, 6D00, 6E00 and the like from a card without extended
    // length. Asked short, a card that answers otherwise refused the form, not the object.
    const retry = await short();
    if (swOf(retry) !== code) extended = false;
    return collect(retry);
  };

  const select = await send(
    Buffer.concat([
      Buffer.from([0x00, 0xa4, 0x04, 0x00, 0x09]),
      pivAid.subarray(0, 9),
      Buffer.from([0x00]),
    ]),
  );
  if (swOf(select) !== sw.ok && swOf(select) >> 8 !== 0x61) {
    throw new CardReadError(`not a PIV card: SELECT answered ${swOf(select).toString(16)}`);
  }

  // A CHUID the card refuses, or that does not parse, costs the CHUID: the card may still be
  // known by its serial number, and its certificates and PIN state are read all the same.
  let chuid: PivReading['chuid'] = null;
  let chuidError: string | null = null;
  try {
    const chuidObject = await getData(objectTags.chuid);
    if (chuidObject) {
      const body = find(chuidObject, 0x53) ?? Buffer.alloc(0);
      chuid = {
        fascn: find(body, 0x30)?.toString('hex') ?? null,
        guid: find(body, 0x34)?.toString('hex') ?? null,
        expiry: find(body, 0x35)?.toString('latin1') ?? null,
      };
    }
  } catch (err) {
    if (!(err instanceof TlvError || err instanceof CardObjectError)) throw err;
    chuidError = err.message;
  }

  // No GUID to go by: ask the card for its own serial (YubiKey and compatible cards answer
  // GET SERIAL; others refuse it, and the card stays unidentified).
  let serialNumber: string | null = null;
  if (!usableGuid(chuid?.guid)) {
    const r = await send(Buffer.from([0x00, 0xf8, 0x00, 0x00, 0x00]));
    if (swOf(r) === sw.ok && r.length === 6) serialNumber = String(r.readUInt32BE(0));
  }

  const certificates: SlotReading[] = [];
  for (const slot of slots) {
    try {
      const object = await getData(slotObjects[slot]);
      if (!object) continue;
      const der = certificateDer(object);
      certificates.push({
        slot,
        certificate: { ...parseCertificateDer(der), der: der.toString('base64') },
      });
    } catch (err) {
      if (
        err instanceof CertificateError ||
        err instanceof TlvError ||
        err instanceof CardObjectError
      ) {
        certificates.push({ slot, error: err.message });
      } else throw err;
    }
  }

  const verify = await send(Buffer.from([0x00, 0x20, 0x00, 0x80]));
  const code = swOf(verify);
  const pin: PinState =
    code === sw.ok
      ? { triesLeft: null, blocked: false, verified: true }
      : code === sw.blocked
        ? { triesLeft: 0, blocked: true, verified: false }
        : (code & 0xfff0) === 0x63c0
          ? { triesLeft: code & 0x0f, blocked: (code & 0x0f) === 0, verified: false }
          : { triesLeft: null, blocked: false, verified: false };
  return {
    cardType: 'PIV',
    chuid,
    chuidError,
    serialNumber,
    certificates,
    pin,
    apdus,
    shortApdus: !extended,
  };
}

/** The DER inside a certificate object `53 { 70 cert 71 info FE lrc }`, unzipped when info says so. */
export function certificateDer(object: Buffer): Buffer {
  const body = find(object, 0x53);
  if (!body) throw new TlvError('the object has no 53 wrapper');
  const items = readAll(body);
  const cert = items.find((t) => t.tag === 0x70)?.value;
  if (!cert) throw new TlvError('the certificate object has no 70 (certificate) element');
  const info = items.find((t) => t.tag === 0x71)?.value[0] ?? 0;
  if (!(info & 0x01)) {
    if (cert.length > maxCertificateBytes)
      throw new CertificateError(
        `the certificate is ${cert.length} bytes, more than ${maxCertificateBytes}: refused`,
      );
    return cert;
  }
  try {
    return gunzipSync(cert, { maxOutputLength: maxCertificateBytes });
  } catch (err) {
    throw new CertificateError(
      (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `the compressed certificate unpacks to more than ${maxCertificateBytes} bytes: refused`
        : `the compressed certificate is not valid gzip: ${(err as Error).message}`,
    );
  }
}
