import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  type KeyObject,
  publicDecrypt,
  randomBytes,
  verify,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readAll, tlv } from '../piv/tlv.ts';
import { blankProfile } from './card-profile.ts';
import { PivCard } from './piv-card.ts';

// Everything here is built from SP 800-73-4 and node:crypto, not from the simulator's helpers:
// the card is only reached through transmit().

interface Answer {
  data: Buffer;
  sw: number;
}

const DEFAULT_PIN = '123456';
const DEFAULT_PUK = '12345678';
const DEFAULT_3DES = Buffer.from('010203040506070801020304050607080102030405060708', 'hex');
const PIV_AID = Buffer.from('a000000308000010000100', 'hex');

function freshCard(): PivCard {
  const card = new PivCard(blankProfile('0000b37b'));
  expect(send(card, 0x00, 0xa4, 0x04, 0x00, PIV_AID).sw).toBe(0x9000);
  return card;
}

/** One short APDU; `le` appends an Le byte (0 means 256). */
function send(
  card: PivCard,
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data?: Buffer,
  le?: number,
): Answer {
  const parts: Buffer[] = [Buffer.from([cla, ins, p1, p2])];
  if (data && data.length > 0) parts.push(Buffer.from([data.length]), data);
  if (le !== undefined) parts.push(Buffer.from([le]));
  const raw = card.transmit(Buffer.concat(parts));
  expect(raw.length).toBeGreaterThanOrEqual(2);
  return { data: raw.subarray(0, -2), sw: raw.readUInt16BE(raw.length - 2) };
}

/**
 * A command as a host library sends it: data over 255 bytes in a command chain (CLA 10), and
 * a 61xx answer followed by GET RESPONSE until the card says 9000.
 */
function exchange(card: PivCard, ins: number, p1: number, p2: number, data: Buffer): Answer {
  let rest = data;
  while (rest.length > 255) {
    expect(send(card, 0x10, ins, p1, p2, rest.subarray(0, 255)).sw).toBe(0x9000);
    rest = rest.subarray(255);
  }
  let answer = send(card, 0x00, ins, p1, p2, rest);
  const chunks = [answer.data];
  while (answer.sw >> 8 === 0x61) {
    answer = send(card, 0x00, 0xc0, 0x00, 0x00, undefined, answer.sw & 0xff);
    chunks.push(answer.data);
  }
  return { data: Buffer.concat(chunks), sw: answer.sw };
}

/** A PIN or PUK as PIV sends it: ASCII, padded with FF to 8 bytes. */
function padded(value: string): Buffer {
  const block = Buffer.alloc(8, 0xff);
  block.write(value, 'latin1');
  return block;
}

const verifyPin = (card: PivCard, pin: string) => send(card, 0x00, 0x20, 0x00, 0x80, padded(pin));
const pinStatus = (card: PivCard) => send(card, 0x00, 0x20, 0x00, 0x80).sw;
const changePuk = (card: PivCard, old: string, next: string) =>
  send(card, 0x00, 0x24, 0x00, 0x81, Buffer.concat([padded(old), padded(next)]));
const unblockPin = (card: PivCard, puk: string, pin: string) =>
  send(card, 0x00, 0x2c, 0x00, 0x80, Buffer.concat([padded(puk), padded(pin)]));

type Cipher = 'des-ede3' | 'aes-128-ecb';
const algorithmIds: Record<Cipher, number> = { 'des-ede3': 0x03, 'aes-128-ecb': 0x08 };
const blockSizes: Record<Cipher, number> = { 'des-ede3': 8, 'aes-128-ecb': 16 };

function ecb(cipher: Cipher, key: Buffer, block: Buffer, decrypt = false): Buffer {
  const c = decrypt ? createDecipheriv(cipher, key, null) : createCipheriv(cipher, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/**
 * Mutual authentication with the management key (9B), as yubico-piv-tool does it: ask for a
 * witness, decrypt it, send it back with a challenge of ours, check the card's answer to it.
 * Returns the status word of the second step.
 */
function mutualAuthenticate(card: PivCard, cipher: Cipher, key: Buffer): number {
  const id = algorithmIds[cipher];
  const size = blockSizes[cipher];
  const first = send(card, 0x00, 0x87, id, 0x9b, Buffer.from('7c028000', 'hex'));
  expect(first.sw).toBe(0x9000);
  expect(first.data.subarray(0, 4)).toEqual(Buffer.from([0x7c, size + 2, 0x80, size]));
  expect(first.data.length).toBe(4 + size);
  const witness = ecb(cipher, key, first.data.subarray(4), true);
  const challenge = randomBytes(size);
  const second = send(
    card,
    0x00,
    0x87,
    id,
    0x9b,
    tlv(0x7c, tlv(0x80, witness), tlv(0x81, challenge)),
  );
  if (second.sw === 0x9000) {
    expect(second.data).toEqual(tlv(0x7c, tlv(0x82, ecb(cipher, key, challenge))));
  } else {
    expect(second.data.length).toBe(0);
  }
  return second.sw;
}

/** Challenge-response (external authentication): the card challenges, the host encrypts. */
function externalAuthenticate(card: PivCard, cipher: Cipher, key: Buffer): number {
  const id = algorithmIds[cipher];
  const size = blockSizes[cipher];
  const first = send(card, 0x00, 0x87, id, 0x9b, Buffer.from('7c028100', 'hex'));
  expect(first.sw).toBe(0x9000);
  expect(first.data.subarray(0, 4)).toEqual(Buffer.from([0x7c, size + 2, 0x81, size]));
  const challenge = first.data.subarray(4);
  expect(challenge.length).toBe(size);
  const second = send(
    card,
    0x00,
    0x87,
    id,
    0x9b,
    tlv(0x7c, tlv(0x82, ecb(cipher, key, challenge))),
  );
  expect(second.data.length).toBe(0);
  return second.sw;
}

/** PUT DATA of the Printed Information object (5FC109): needs the management key. */
const putPrinted = (card: PivCard, value: Buffer) =>
  send(
    card,
    0x00,
    0xdb,
    0x3f,
    0xff,
    Buffer.concat([tlv(0x5c, Buffer.from('5fc109', 'hex')), tlv(0x53, value)]),
  );
const getData = (card: PivCard, tag: string) =>
  exchange(card, 0xcb, 0x3f, 0xff, tlv(0x5c, Buffer.from(tag, 'hex')));

const setManagementKey = (card: PivCard, algorithm: number, key: Buffer, p2 = 0xff) =>
  send(
    card,
    0x00,
    0xff,
    0xff,
    p2,
    Buffer.concat([Buffer.from([algorithm, 0x9b, key.length]), key]),
  );

/** GENERATE ASYMMETRIC KEY PAIR; answers the public key as a node KeyObject. */
function generate(card: PivCard, slot: number, algorithm: 0x07 | 0x11): KeyObject {
  const answer = exchange(card, 0x47, 0x00, slot, tlv(0xac, tlv(0x80, Buffer.from([algorithm]))));
  expect(answer.sw).toBe(0x9000);
  const [template, ...extra] = readAll(answer.data);
  expect(extra).toEqual([]);
  expect(template?.tag).toBe(0x7f49);
  const items = new Map(readAll(template?.value ?? Buffer.alloc(0)).map((t) => [t.tag, t.value]));
  if (algorithm === 0x11) {
    const point = items.get(0x86);
    expect(point?.length).toBe(65);
    expect(point?.[0]).toBe(0x04);
    return createPublicKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: point?.subarray(1, 33).toString('base64url'),
        y: point?.subarray(33).toString('base64url'),
      },
    });
  }
  const modulus = items.get(0x81);
  const exponent = items.get(0x82);
  expect(modulus?.length).toBe(256);
  expect(exponent).toEqual(Buffer.from([0x01, 0x00, 0x01]));
  return createPublicKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: modulus?.toString('base64url'),
      e: exponent?.toString('base64url'),
    },
  });
}

const signRequest = (input: Buffer) => tlv(0x7c, tlv(0x82, Buffer.alloc(0)), tlv(0x81, input));

/** The signature out of GENERAL AUTHENTICATE's `7C { 82 signature }`. */
function signatureOf(answer: Answer): Buffer {
  expect(answer.sw).toBe(0x9000);
  const [template] = readAll(answer.data);
  expect(template?.tag).toBe(0x7c);
  const [response, ...extra] = readAll(template?.value ?? Buffer.alloc(0));
  expect(extra).toEqual([]);
  expect(response?.tag).toBe(0x82);
  return response?.value ?? Buffer.alloc(0);
}

/** EMSA-PKCS1-v1_5 for SHA-256 (RFC 8017 9.2), padded to a 2048-bit block. */
function pkcs1Block(digest: Buffer): Buffer {
  const digestInfo = Buffer.concat([
    Buffer.from('3031300d060960864801650304020105000420', 'hex'),
    digest,
  ]);
  const padding = Buffer.alloc(256 - 3 - digestInfo.length, 0xff);
  return Buffer.concat([Buffer.from([0x00, 0x01]), padding, Buffer.from([0x00]), digestInfo]);
}

describe('PivCard: CHANGE REFERENCE DATA of the PUK', () => {
  it('changes the PUK with the right old one; the new PUK then unblocks the PIN', () => {
    const card = freshCard();
    expect(changePuk(card, DEFAULT_PUK, '87654321').sw).toBe(0x9000);
    expect(card.profile.puk).toBe('87654321');

    // Block the PIN, then unblock it: the old PUK is refused (and counts), the new one works.
    expect(verifyPin(card, '000000').sw).toBe(0x63c2);
    expect(verifyPin(card, '000000').sw).toBe(0x63c1);
    expect(verifyPin(card, '000000').sw).toBe(0x6983);
    expect(pinStatus(card)).toBe(0x6983);
    expect(unblockPin(card, DEFAULT_PUK, '654321').sw).toBe(0x63c2);
    expect(unblockPin(card, '87654321', '654321').sw).toBe(0x9000);
    expect(card.profile.pukTries).toBe(3);
    expect(pinStatus(card)).toBe(0x63c3);
    expect(verifyPin(card, DEFAULT_PIN).sw).toBe(0x63c2);
    expect(verifyPin(card, '654321').sw).toBe(0x9000);
    expect(pinStatus(card)).toBe(0x9000);
  });

  it('accepts a shorter new PUK, padded with FF', () => {
    const card = freshCard();
    expect(changePuk(card, DEFAULT_PUK, '246810').sw).toBe(0x9000);
    expect(changePuk(card, '246810', DEFAULT_PUK).sw).toBe(0x9000);
    expect(card.profile.puk).toBe(DEFAULT_PUK);
  });

  it('counts wrong old PUKs down with 63Cx and blocks at zero with 6983', () => {
    const card = freshCard();
    expect(changePuk(card, '11111111', '87654321').sw).toBe(0x63c2);
    expect(changePuk(card, '11111111', '87654321').sw).toBe(0x63c1);
    expect(changePuk(card, '11111111', '87654321').sw).toBe(0x6983);
    expect(card.profile.pukTries).toBe(0);
    // Blocked: the right PUK no longer helps, neither to change it nor to unblock the PIN.
    expect(changePuk(card, DEFAULT_PUK, '87654321').sw).toBe(0x6983);
    expect(unblockPin(card, DEFAULT_PUK, '654321').sw).toBe(0x6983);
    expect(card.profile.puk).toBe(DEFAULT_PUK);
    expect(card.profile.pin).toBe(DEFAULT_PIN);
    // The PIN is a separate reference and still works.
    expect(verifyPin(card, DEFAULT_PIN).sw).toBe(0x9000);
  });

  it('a right old PUK after a wrong one restores the full count', () => {
    const card = freshCard();
    expect(changePuk(card, '11111111', '87654321').sw).toBe(0x63c2);
    expect(changePuk(card, DEFAULT_PUK, '87654321').sw).toBe(0x9000);
    expect(changePuk(card, DEFAULT_PUK, '11111111').sw).toBe(0x63c2);
  });
});

describe('PivCard: GENERAL AUTHENTICATE with the management key', () => {
  it('mutual authentication with the default 3DES key unlocks PUT DATA', () => {
    const card = freshCard();
    expect(putPrinted(card, Buffer.from('0102', 'hex')).sw).toBe(0x6982);
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    expect(putPrinted(card, Buffer.from('0102', 'hex')).sw).toBe(0x9000);
    expect(getData(card, '5fc109')).toEqual({ data: Buffer.from('53020102', 'hex'), sw: 0x9000 });
  });

  it('challenge-response with the default 3DES key unlocks PUT DATA', () => {
    const card = freshCard();
    expect(externalAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    expect(putPrinted(card, Buffer.from('03', 'hex')).sw).toBe(0x9000);
  });

  it('refuses a wrong key with 6982 and stays locked', () => {
    const card = freshCard();
    const wrong = Buffer.alloc(24, 0x11);
    expect(mutualAuthenticate(card, 'des-ede3', wrong)).toBe(0x6982);
    expect(putPrinted(card, Buffer.from('03', 'hex')).sw).toBe(0x6982);
    expect(externalAuthenticate(card, 'des-ede3', wrong)).toBe(0x6982);
    expect(putPrinted(card, Buffer.from('03', 'hex')).sw).toBe(0x6982);
    // A witness answer with no witness asked for is refused too.
    const unasked = tlv(0x7c, tlv(0x80, Buffer.alloc(8)), tlv(0x81, Buffer.alloc(8)));
    expect(send(card, 0x00, 0x87, 0x03, 0x9b, unasked).sw).toBe(0x6982);
  });

  it('SET MANAGEMENT KEY to another 3DES key: the new key works, the old one gets 6982', () => {
    const card = freshCard();
    const next = randomBytes(24);
    expect(setManagementKey(card, 0x03, next).sw).toBe(0x6982);
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    expect(setManagementKey(card, 0x03, next).sw).toBe(0x9000);
    card.reset();
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x6982);
    expect(externalAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x6982);
    expect(mutualAuthenticate(card, 'des-ede3', next)).toBe(0x9000);
  });

  it('SET MANAGEMENT KEY to AES-128 (P2 FE): AES authenticates, the old key does not', () => {
    const card = freshCard();
    const aesKey = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    expect(setManagementKey(card, 0x08, aesKey, 0xfe).sw).toBe(0x9000);
    expect(card.profile.managementKey).toEqual({
      algorithm: 'aes128',
      key: aesKey.toString('hex'),
    });
    card.reset();

    // The old key, as 3DES: the key 9B is no longer a 3DES key (P1 names the algorithm).
    expect(send(card, 0x00, 0x87, 0x03, 0x9b, Buffer.from('7c028000', 'hex')).sw).toBe(0x6a86);
    // The old key's bytes as an AES-128 key: the right algorithm, the wrong key.
    const oldAsAes = DEFAULT_3DES.subarray(0, 16);
    expect(mutualAuthenticate(card, 'aes-128-ecb', oldAsAes)).toBe(0x6982);
    expect(externalAuthenticate(card, 'aes-128-ecb', oldAsAes)).toBe(0x6982);
    expect(putPrinted(card, Buffer.from('04', 'hex')).sw).toBe(0x6982);

    expect(mutualAuthenticate(card, 'aes-128-ecb', aesKey)).toBe(0x9000);
    expect(putPrinted(card, Buffer.from('04', 'hex')).sw).toBe(0x9000);
    card.reset();
    expect(externalAuthenticate(card, 'aes-128-ecb', aesKey)).toBe(0x9000);
    expect(putPrinted(card, Buffer.from('05', 'hex')).sw).toBe(0x9000);
  });

  it('SET MANAGEMENT KEY refuses a key of the wrong length (6A80) and a bad P1 (6A86)', () => {
    const card = freshCard();
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    expect(setManagementKey(card, 0x08, Buffer.alloc(24, 1)).sw).toBe(0x6a80);
    const aes = Buffer.concat([Buffer.from('089b10', 'hex'), Buffer.alloc(16, 1)]);
    expect(send(card, 0x00, 0xff, 0x00, 0xff, aes).sw).toBe(0x6a86);
    expect(card.profile.managementKey.algorithm).toBe('tdes');
  });
});

describe('PivCard: signing with a card key after VERIFY', () => {
  it('ECC P-256 in 9A: refused before VERIFY, an ECDSA signature node verifies after', () => {
    const card = freshCard();
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    const publicKey = generate(card, 0x9a, 0x11);
    expect(publicKey.asymmetricKeyType).toBe('ec');

    const message = Buffer.from('certificate request to sign');
    const digest = createHash('sha256').update(message).digest();
    expect(send(card, 0x00, 0x87, 0x11, 0x9a, signRequest(digest))).toEqual({
      data: Buffer.alloc(0),
      sw: 0x6982,
    });
    // The wrong PIN does not open it either.
    expect(verifyPin(card, '654321').sw).toBe(0x63c2);
    expect(send(card, 0x00, 0x87, 0x11, 0x9a, signRequest(digest)).sw).toBe(0x6982);

    expect(verifyPin(card, DEFAULT_PIN).sw).toBe(0x9000);
    const signature = signatureOf(exchange(card, 0x87, 0x11, 0x9a, signRequest(digest)));
    expect(signature[0]).toBe(0x30);
    expect(verify('sha256', message, publicKey, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('another message'), publicKey, signature)).toBe(false);
    // The algorithm in P1 must be the key's.
    expect(send(card, 0x00, 0x87, 0x07, 0x9a, signRequest(digest)).sw).toBe(0x6a86);
  });

  it('RSA 2048 in 9C: raw private operation on a PKCS#1 v1.5 block, chained both ways', () => {
    const card = freshCard();
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    const publicKey = generate(card, 0x9c, 0x07);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);

    const message = Buffer.from('digital signature');
    const block = pkcs1Block(createHash('sha256').update(message).digest());
    expect(exchange(card, 0x87, 0x07, 0x9c, signRequest(block)).sw).toBe(0x6982);

    expect(verifyPin(card, DEFAULT_PIN).sw).toBe(0x9000);
    const signature = signatureOf(exchange(card, 0x87, 0x07, 0x9c, signRequest(block)));
    expect(signature.length).toBe(256);
    expect(publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature)).toEqual(
      block,
    );
    expect(verify('sha256', message, publicKey, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('tampered'), publicKey, signature)).toBe(false);
    // A block that is not the modulus size cannot be an RSA input.
    expect(send(card, 0x00, 0x87, 0x07, 0x9c, signRequest(Buffer.alloc(32, 1))).sw).toBe(0x6a80);
  });

  it('the PIN stays verified only for the session: a reset asks for it again', () => {
    const card = freshCard();
    expect(mutualAuthenticate(card, 'des-ede3', DEFAULT_3DES)).toBe(0x9000);
    generate(card, 0x9a, 0x11);
    expect(verifyPin(card, DEFAULT_PIN).sw).toBe(0x9000);
    const digest = createHash('sha256').update('x').digest();
    expect(exchange(card, 0x87, 0x11, 0x9a, signRequest(digest)).sw).toBe(0x9000);
    card.reset();
    expect(pinStatus(card)).toBe(0x63c3);
    expect(send(card, 0x00, 0x87, 0x11, 0x9a, signRequest(digest)).sw).toBe(0x6982);
  });
});

describe('PivCard: wrong and out-of-order commands', () => {
  it('GENERATE without the management key: 6982, and no key is made', () => {
    const card = freshCard();
    const control = tlv(0xac, tlv(0x80, Buffer.from([0x11])));
    expect(send(card, 0x00, 0x47, 0x00, 0x9a, control)).toEqual({
      data: Buffer.alloc(0),
      sw: 0x6982,
    });
    // Nor does the PIN stand in for the management key.
    expect(verifyPin(card, DEFAULT_PIN).sw).toBe(0x9000);
    expect(send(card, 0x00, 0x47, 0x00, 0x9a, control).sw).toBe(0x6982);
    expect(card.profile.keys).toEqual({});
  });

  it('PUT DATA without the management key: 6982, and nothing is written', () => {
    const card = freshCard();
    expect(putPrinted(card, Buffer.from('0102', 'hex')).sw).toBe(0x6982);
    expect(getData(card, '5fc109').sw).toBe(0x6a82);
  });

  it('an unknown INS answers 6D00 and an unknown CLA 6E00', () => {
    const card = freshCard();
    expect(send(card, 0x00, 0x50, 0x00, 0x00)).toEqual({ data: Buffer.alloc(0), sw: 0x6d00 });
    expect(send(card, 0x80, 0xcb, 0x3f, 0xff, tlv(0x5c, Buffer.from('5fc102', 'hex'))).sw).toBe(
      0x6e00,
    );
  });

  it('GET DATA of an object the card does not hold answers 6A82', () => {
    const card = freshCard();
    expect(getData(card, '5fc1ff')).toEqual({ data: Buffer.alloc(0), sw: 0x6a82 });
    expect(getData(card, '5fc105').sw).toBe(0x6a82); // no PIV Authentication certificate yet
    const chuid = getData(card, '5fc102');
    expect(chuid.sw).toBe(0x9000);
    expect(chuid.data[0]).toBe(0x53);
  });

  it('VERIFY with a PIN of the wrong length answers 6A80 and spends no try', () => {
    const card = freshCard();
    expect(send(card, 0x00, 0x20, 0x00, 0x80, Buffer.from(DEFAULT_PIN, 'ascii')).sw).toBe(0x6a80);
    expect(send(card, 0x00, 0x20, 0x00, 0x80, padded(DEFAULT_PIN).subarray(0, 7)).sw).toBe(0x6a80);
    expect(pinStatus(card)).toBe(0x63c3);
    expect(card.profile.pinTries).toBe(3);
  });

  it('VERIFY of an unknown reference answers 6A88', () => {
    const card = freshCard();
    expect(send(card, 0x00, 0x20, 0x00, 0x85, padded(DEFAULT_PIN)).sw).toBe(0x6a88);
  });

  it('signing with an empty slot answers 6A82 even after VERIFY', () => {
    const card = freshCard();
    expect(verifyPin(card, DEFAULT_PIN).sw).toBe(0x9000);
    const digest = createHash('sha256').update('x').digest();
    expect(send(card, 0x00, 0x87, 0x11, 0x9a, signRequest(digest)).sw).toBe(0x6a82);
  });
});

describe('PivCard: a card that takes short APDUs only', () => {
  // GET DATA of the CHUID with extended Lc and Le (00 0005 … 0000), and the same short.
  const extendedGetData = Buffer.from('00cb3fff0000055c035fc1020000', 'hex');
  const shortGetData = Buffer.from('00cb3fff055c035fc10200', 'hex');

  it('takes extended APDUs unless its profile says otherwise', () => {
    const card = freshCard();
    const answer = card.transmit(extendedGetData);
    expect(answer.subarray(-2).toString('hex')).toBe('9000');
    expect(answer[0]).toBe(0x53);
  });

  it.each(['6700', '6a80', '6a87', '6d00', '6e00'] as const)(
    'refuses every extended APDU with %s, and answers short ones',
    (status) => {
      const profile = blankProfile('0000b37b');
      profile.extendedApdus = status;
      const card = new PivCard(profile);
      expect(send(card, 0x00, 0xa4, 0x04, 0x00, PIV_AID).sw).toBe(0x9000);
      expect(card.transmit(extendedGetData).toString('hex')).toBe(status);
      // Case 2 extended (00 0000: Le 65536), even for VERIFY.
      expect(card.transmit(Buffer.from('0020008000ffff', 'hex')).toString('hex')).toBe(status);
      const answer = card.transmit(shortGetData);
      expect(answer.subarray(-2).toString('hex')).toBe('9000');
      expect(answer[0]).toBe(0x53);
      expect(pinStatus(card)).toBe(0x63c3);
    },
  );
});
