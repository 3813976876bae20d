import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';

/**
 * A CA private key encrypted under a passphrase, as stored: scrypt derives a key from the
 * passphrase and a random salt, AES-256-GCM encrypts the PKCS#8 bytes. A short check value,
 * derived alongside the key, tells a wrong passphrase apart from a damaged or altered file.
 * The header (format, parameters, salt, IV) is the GCM associated data, so no part of it can
 * be changed without the decryption failing.
 */
interface EncryptedKeyV1 {
  format: 'smartcard-ra-encrypted-key';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'aes-256-gcm'; iv: string; tag: string };
  check: string;
  ciphertext: string;
}

/** The passphrase does not open this key. The message never carries the passphrase. */
export class WrongPassphraseError extends Error {
  override name = 'WrongPassphraseError';
  constructor() {
    super('the passphrase is wrong: it does not decrypt the CA private key');
  }
}

/** The stored key is not one we wrote, or it was changed after it was written. */
export class EncryptedKeyError extends Error {
  override name = 'EncryptedKeyError';
}

/**
 * N = 2^17, r = 8: 128 MiB and a fraction of a second per derivation (OWASP's scrypt advice);
 * the key is opened once per process start, so the cost falls on an attacker's guesses only.
 * What encryptPrivateKey and secretBox use unless their caller names other parameters.
 */
export const passphraseScrypt = { N: 2 ** 17, r: 8, p: 1 } as const;
// Refuse parameters beyond this when reading, so a crafted file cannot exhaust memory.
const maxN = 2 ** 20;

/** scrypt over the passphrase (NFC) and salt: 64 bytes, a key and a check value's input. */
export function deriveFromPassphrase(
  passphrase: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      64,
      { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

function associatedData(blob: Pick<EncryptedKeyV1, 'format' | 'version' | 'kdf' | 'cipher'>) {
  const { N, r, p, salt } = blob.kdf;
  return Buffer.from(
    `${blob.format}|${blob.version}|scrypt|${N}|${r}|${p}|${salt}|${blob.cipher.iv}`,
  );
}

function checkValue(derived: Buffer): Buffer {
  return createHash('sha256').update(derived.subarray(32)).digest().subarray(0, 16);
}

/** Encrypts PKCS#8 private key bytes under a passphrase; returns the JSON document as bytes. */
export async function encryptPrivateKey(
  pkcs8: Uint8Array,
  passphrase: string,
  params: { N: number; r: number; p: number } = passphraseScrypt,
): Promise<Buffer> {
  if (passphrase.length === 0) throw new RangeError('the passphrase must not be empty');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const derived = await deriveFromPassphrase(passphrase, salt, params);
  const header = {
    format: 'smartcard-ra-encrypted-key' as const,
    version: 1 as const,
    kdf: { name: 'scrypt' as const, ...params, salt: salt.toString('base64') },
    cipher: { name: 'aes-256-gcm' as const, iv: iv.toString('base64'), tag: '' },
  };
  const cipher = createCipheriv('aes-256-gcm', derived.subarray(0, 32), iv);
  cipher.setAAD(associatedData(header));
  const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const blob: EncryptedKeyV1 = {
    ...header,
    cipher: { ...header.cipher, tag: cipher.getAuthTag().toString('base64') },
    check: checkValue(derived).toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
  return Buffer.from(`${JSON.stringify(blob, null, 2)}\n`);
}

/**
 * Decrypts what encryptPrivateKey wrote. A wrong passphrase is a WrongPassphraseError; a file
 * that is malformed or was altered is an EncryptedKeyError.
 */
export async function decryptPrivateKey(
  stored: Uint8Array | string,
  passphrase: string,
): Promise<Buffer> {
  const blob = readBlob(stored);
  const salt = Buffer.from(blob.kdf.salt, 'base64');
  const derived = await deriveFromPassphrase(passphrase, salt, blob.kdf);
  const check = Buffer.from(blob.check, 'base64');
  const expected = checkValue(derived);
  if (check.length !== expected.length || !timingSafeEqual(check, expected)) {
    throw new WrongPassphraseError();
  }
  const decipher = createDecipheriv(
    'aes-256-gcm',
    derived.subarray(0, 32),
    Buffer.from(blob.cipher.iv, 'base64'),
  );
  decipher.setAAD(associatedData(blob));
  decipher.setAuthTag(Buffer.from(blob.cipher.tag, 'base64'));
  try {
    return Buffer.concat([
      decipher.update(Buffer.from(blob.ciphertext, 'base64')),
      decipher.final(),
    ]);
  } catch {
    throw new EncryptedKeyError(
      'the encrypted CA key was altered or damaged: it fails its integrity check',
    );
  }
}

function readBlob(stored: Uint8Array | string): EncryptedKeyV1 {
  let value: unknown;
  try {
    value = JSON.parse(typeof stored === 'string' ? stored : Buffer.from(stored).toString('utf8'));
  } catch {
    throw new EncryptedKeyError('the encrypted CA key is not JSON');
  }
  const blob = value as Partial<EncryptedKeyV1> | null;
  if (blob?.format !== 'smartcard-ra-encrypted-key') {
    throw new EncryptedKeyError('the file is not an encrypted CA key');
  }
  if (blob.version !== 1) {
    throw new EncryptedKeyError(`encrypted key version ${String(blob.version)} is not known`);
  }
  const kdf = blob.kdf;
  const isPowerOfTwo = (n: unknown) =>
    typeof n === 'number' && Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
  if (
    kdf?.name !== 'scrypt' ||
    !isPowerOfTwo(kdf.N) ||
    kdf.N > maxN ||
    !Number.isInteger(kdf.r) ||
    kdf.r < 1 ||
    kdf.r > 32 ||
    !Number.isInteger(kdf.p) ||
    kdf.p < 1 ||
    kdf.p > 16 ||
    typeof kdf.salt !== 'string'
  ) {
    throw new EncryptedKeyError(
      'the encrypted CA key has key-derivation parameters we do not accept',
    );
  }
  if (
    blob.cipher?.name !== 'aes-256-gcm' ||
    typeof blob.cipher.iv !== 'string' ||
    typeof blob.cipher.tag !== 'string' ||
    typeof blob.check !== 'string' ||
    typeof blob.ciphertext !== 'string'
  ) {
    throw new EncryptedKeyError('the encrypted CA key is incomplete');
  }
  return blob as EncryptedKeyV1;
}
