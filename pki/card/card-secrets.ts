import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';

/**
 * The secrets the RA keeps for each card (docs/card-jobs.md), all from one master secret:
 * - the card's management key, derived from the master secret and the card's serial
 *   (HKDF-SHA-256), so it is never stored and a stolen database opens no card;
 * - the card's PUK, random per card, sealed with AES-256-GCM under a key derived from the
 *   master secret, bound to the card's serial (a sealed PUK copied to another card's row
 *   does not open there).
 */

export type ManagementAlgorithm = 'tdes' | 'aes128' | 'aes192' | 'aes256';

const keyLengths: Record<ManagementAlgorithm, number> = {
  tdes: 24,
  aes128: 16,
  aes192: 24,
  aes256: 32,
};

const ciphers: Record<ManagementAlgorithm, { name: string; block: number }> = {
  tdes: { name: 'des-ede3', block: 8 },
  aes128: { name: 'aes-128-ecb', block: 16 },
  aes192: { name: 'aes-192-ecb', block: 16 },
  aes256: { name: 'aes-256-ecb', block: 16 },
};

/** PIV's algorithm identifiers for the management key (SP 800-78-4 table 5). */
export const managementAlgorithmIds: Record<ManagementAlgorithm, number> = {
  tdes: 0x03,
  aes128: 0x08,
  aes192: 0x0a,
  aes256: 0x0c,
};

export const isManagementAlgorithm = (a: string): a is ManagementAlgorithm => a in keyLengths;

/** A sealed PUK does not open: altered, another card's, or another master secret's. */
export class SealedPukError extends Error {
  override name = 'SealedPukError';
}

/** A 3DES key whose three parts are equal is single DES; no derived key may be one. */
function tdesIsWeak(key: Buffer): boolean {
  const [a, b, c] = [key.subarray(0, 8), key.subarray(8, 16), key.subarray(16, 24)];
  return a.equals(b) || b.equals(c);
}

export class CardSecrets {
  private readonly pukKey: Buffer;
  private readonly managementRoot: Buffer;

  constructor(masterSecret: string) {
    if (masterSecret.length < 32) throw new Error('the card master secret must be 32+ characters');
    const ikm = Buffer.from(masterSecret, 'utf8');
    this.pukKey = Buffer.from(hkdfSync('sha256', ikm, '', 'smartcard-ra card puk seal v1', 32));
    this.managementRoot = Buffer.from(
      hkdfSync('sha256', ikm, '', 'smartcard-ra card management key v1', 32),
    );
  }

  /** The card's own management key: the same for the same serial and master secret, every time. */
  managementKey(serial: string, algorithm: ManagementAlgorithm): Buffer {
    const length = keyLengths[algorithm];
    for (let round = 0; ; round += 1) {
      const key = Buffer.from(
        hkdfSync(
          'sha256',
          this.managementRoot,
          Buffer.from(serial.toLowerCase(), 'utf8'),
          `${algorithm}:${round}`,
          length,
        ),
      );
      if (algorithm !== 'tdes' || !tdesIsWeak(key)) return key;
    }
  }

  /** A fresh random PUK: 8 digits, as PIV cards take them. */
  static newPuk(): string {
    return String(randomInt(0, 100_000_000)).padStart(8, '0');
  }

  sealPuk(puk: string, serial: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.pukKey, iv);
    cipher.setAAD(Buffer.from(`puk:${serial.toLowerCase()}`, 'utf8'));
    const body = Buffer.concat([cipher.update(puk, 'utf8'), cipher.final()]);
    return ['pk1', iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  openPuk(sealed: string, serial: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'pk1' || !iv || !body || !tag) throw new SealedPukError('not a sealed PUK');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.pukKey, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`puk:${serial.toLowerCase()}`, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SealedPukError('the sealed PUK does not open: altered, or not this card’s');
    }
  }
}

/** One block, ECB, no padding: PIV's challenge-response with the management key. */
export function encryptChallenge(
  algorithm: ManagementAlgorithm,
  key: Buffer,
  challenge: Buffer,
): Buffer {
  if (challenge.length !== ciphers[algorithm].block) {
    throw new RangeError(
      `a ${algorithm} challenge is ${ciphers[algorithm].block} bytes, not ${challenge.length}`,
    );
  }
  const cipher = createCipheriv(ciphers[algorithm].name, key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(challenge), cipher.final()]);
}

export const challengeLength = (algorithm: ManagementAlgorithm) => ciphers[algorithm].block;

/** YubiKey's SET MANAGEMENT KEY (INS FF, P1 FF, P2 FF): what installs a new management key. */
export function setManagementKeyApdu(algorithm: ManagementAlgorithm, key: Buffer): Buffer {
  const data = Buffer.concat([
    Buffer.from([managementAlgorithmIds[algorithm], 0x9b, key.length]),
    key,
  ]);
  return Buffer.concat([Buffer.from([0x00, 0xff, 0xff, 0xff, data.length]), data]);
}

export const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
