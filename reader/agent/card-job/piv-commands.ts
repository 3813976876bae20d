import { algorithms, keyReferences, pivAid, type Slot, slotObjects } from '../../piv/constants.ts';
import { tlv } from '../../piv/tlv.ts';

/**
 * The PIV commands a card job sends (NIST SP 800-73-4 part 2), built as bytes. Nothing here
 * talks to a card; card-session.ts sends them. Secrets (PIN, PUK) go in padded buffers the
 * caller wipes once sent.
 */

export type ManagementAlgorithm = 'tdes' | 'aes128' | 'aes192' | 'aes256';

const managementIds: Record<ManagementAlgorithm, number> = {
  tdes: algorithms.tdes,
  aes128: algorithms.aes128,
  aes192: algorithms.aes192,
  aes256: algorithms.aes256,
};

/** The challenge's length: one block of the management key's cipher. */
export const challengeLength = (algorithm: ManagementAlgorithm) => (algorithm === 'tdes' ? 8 : 16);

export const isManagementAlgorithm = (value: unknown): value is ManagementAlgorithm =>
  typeof value === 'string' && value in managementIds;

/** What an operator calls the management key's cipher. */
export const managementAlgorithmName = (algorithm: ManagementAlgorithm) =>
  algorithm === 'tdes' ? '3DES' : `AES-${algorithm.slice(3)}`;

/** A short APDU (Lc ≤ 255), with Le 00 when the card is to answer with data. */
function short(cla: number, ins: number, p1: number, p2: number, data: Buffer, le = false) {
  if (data.length > 255) throw new RangeError(`${data.length} bytes do not fit a short APDU`);
  return Buffer.concat([
    Buffer.from([cla, ins, p1, p2]),
    data.length ? Buffer.from([data.length]) : Buffer.alloc(0),
    data,
    le ? Buffer.from([0x00]) : Buffer.alloc(0),
  ]);
}

/** An extended-length APDU (Lc up to 65535), with an extended Le when data is to come back. */
function extended(ins: number, p1: number, p2: number, data: Buffer, le = false) {
  const lc = Buffer.alloc(3);
  lc.writeUInt16BE(data.length, 1);
  return Buffer.concat([
    Buffer.from([0x00, ins, p1, p2]),
    lc,
    data,
    le ? Buffer.from([0x00, 0x00]) : Buffer.alloc(0),
  ]);
}

/** SELECT the PIV application by its AID (the first 9 bytes, as PIV middleware sends it). */
export const selectPiv = () => short(0, 0xa4, 0x04, 0x00, pivAid.subarray(0, 9), true);

/** GET RESPONSE: the next `length` bytes of an answer the card said (61xx) it still holds. */
export const getResponse = (length: number) => Buffer.from([0x00, 0xc0, 0x00, 0x00, length]);

/** GET DATA of one object (`5C 03 tag`), short or extended. */
export function getData(tag: number, useExtended: boolean): Buffer {
  const request = tlv(0x5c, Buffer.from(tag.toString(16).padStart(6, '0'), 'hex'));
  return useExtended
    ? extended(0xcb, 0x3f, 0xff, request, true)
    : short(0, 0xcb, 0x3f, 0xff, request, true);
}

/** YubiKey's GET SERIAL, for a card whose CHUID has no GUID. */
export const getSerial = () => Buffer.from([0x00, 0xf8, 0x00, 0x00, 0x00]);

/** GENERAL AUTHENTICATE, external authentication step 1: ask the card for a challenge. */
export const managementChallengeRequest = (algorithm: ManagementAlgorithm) =>
  short(
    0,
    0x87,
    managementIds[algorithm],
    keyReferences.management,
    Buffer.from('7c028100', 'hex'),
    true,
  );

/** GENERAL AUTHENTICATE, step 2: the challenge encrypted under the management key. */
export const managementResponse = (algorithm: ManagementAlgorithm, response: Buffer) =>
  short(
    0,
    0x87,
    managementIds[algorithm],
    keyReferences.management,
    tlv(0x7c, tlv(0x82, response)),
  );

/** GENERATE ASYMMETRIC KEY PAIR, RSA 2048, in a slot. The answer is `7F49 { 81 n 82 e }`. */
export function generateRsa2048(slot: Slot, useExtended: boolean): Buffer {
  const control = tlv(0xac, tlv(0x80, Buffer.from([algorithms.rsa2048])));
  const p2 = Number.parseInt(slot, 16);
  return useExtended
    ? extended(0x47, 0x00, p2, control, true)
    : short(0, 0x47, 0x00, p2, control, true);
}

/** The data of PUT DATA for a slot's certificate: `5C 03 tag 53 { 70 DER 71 00 FE }`. */
export function certificateObject(slot: Slot, der: Buffer): Buffer {
  const tag = Buffer.from(slotObjects[slot].toString(16).padStart(6, '0'), 'hex');
  return Buffer.concat([
    tlv(0x5c, tag),
    tlv(0x53, tlv(0x70, der), tlv(0x71, Buffer.from([0x00])), tlv(0xfe, Buffer.alloc(0))),
  ]);
}

/** PUT DATA in one extended-length APDU. */
export const putDataExtended = (data: Buffer) => extended(0xdb, 0x3f, 0xff, data);

/**
 * PUT DATA by command chaining (ISO 7816-4): pieces of at most 255 bytes, every one but the
 * last with CLA 10, for a card that takes short APDUs only.
 */
export function putDataChained(data: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 255) {
    const last = offset + 255 >= data.length;
    pieces.push(short(last ? 0x00 : 0x10, 0xdb, 0x3f, 0xff, data.subarray(offset, offset + 255)));
  }
  return pieces;
}

/** A PIN or PUK as PIV takes it: its ASCII digits padded to 8 bytes with FF. */
export function padReference(value: string): Buffer {
  if (value.length < 1 || value.length > 8 || !/^[\x20-\x7e]+$/.test(value))
    throw new RangeError('a PIN or PUK is 1 to 8 printable characters');
  const block = Buffer.alloc(8, 0xff);
  block.write(value, 'latin1');
  return block;
}

/** VERIFY the PIN. The caller wipes the returned buffer once sent. */
export const verifyPin = (pin: string) =>
  short(0, 0x20, 0x00, keyReferences.pin, padReference(pin));

/** RESET RETRY COUNTER: the PUK and the new PIN unblock and set the PIN. */
export const resetRetryCounter = (puk: string, newPin: string) =>
  short(0, 0x2c, 0x00, keyReferences.pin, Buffer.concat([padReference(puk), padReference(newPin)]));

/** CHANGE REFERENCE DATA of the PUK: the old PUK, then the new one. */
export const changePuk = (oldPuk: string, newPuk: string) =>
  short(
    0,
    0x24,
    0x00,
    keyReferences.puk,
    Buffer.concat([padReference(oldPuk), padReference(newPuk)]),
  );
