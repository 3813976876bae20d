import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { deriveFromPassphrase, passphraseScrypt, WrongPassphraseError } from './key-at-rest.ts';

/**
 * Small secrets (a card's transport management key) sealed under the CA key passphrase, many
 * at a time. key-at-rest.ts spends a whole scrypt derivation (N = 2^17, most of a second) on
 * each value, right for the two CA keys and far too slow for an import of thousands of cards;
 * here scrypt runs once per process and salt, and each secret costs one AES-256-GCM seal.
 *
 * A sealed secret is one line of text, every part of it base64url:
 *
 *     sb1.<log2 N>.<r>.<p>.<salt>.<check>.<iv>.<ciphertext>.<tag>
 *
 * The salt is random, made once per process (and passphrase) and carried by every secret it
 * seals, so opening needs nothing stored elsewhere; the derived key is kept in this process
 * for each salt it meets. `check` tells a wrong passphrase from an altered secret. The GCM
 * associated data is the header and the caller's `context` (such as the card's serial), so
 * a secret copied onto another card's row does not open there.
 */

/** The passphrase does not open this secret. The message never carries either. */
export class WrongSecretPassphraseError extends WrongPassphraseError {
  override name = 'WrongSecretPassphraseError';
  override message = 'the passphrase is wrong: it does not open this sealed secret';
}

/** The stored secret is not one we sealed, or it was changed after it was sealed. */
export class SealedSecretError extends Error {
  override name = 'SealedSecretError';
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

const maxLog2N = 20;
// scrypt needs 128·N·r bytes: at most 256 MiB, so a crafted value cannot exhaust memory.
const maxNr = 2 ** 21;
const version = 'sb1';

interface Derived {
  key: Buffer;
  check: Buffer;
}

// Derived keys by passphrase (hashed: the map holds no passphrase) and salt. A process meets
// its own salt and those of the processes before it; the oldest is dropped past a few.
const derivedKeys = new Map<string, Promise<Derived>>();
const maxKept = 16;
// This process's salt for each passphrase and parameters, made on first use.
const processSalts = new Map<string, Buffer>();

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const passphraseId = (passphrase: string) =>
  createHash('sha256').update(passphrase.normalize('NFC')).digest('base64url');

function derivedFor(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Derived> {
  const id = `${passphraseId(passphrase)}|${params.N}|${params.r}|${params.p}|${b64(salt)}`;
  let derived = derivedKeys.get(id);
  if (!derived) {
    derived = deriveFromPassphrase(passphrase, salt, params).then((bytes) => ({
      key: bytes.subarray(0, 32),
      check: createHash('sha256').update(bytes.subarray(32)).digest().subarray(0, 16),
    }));
    derived.catch(() => derivedKeys.delete(id));
    derivedKeys.set(id, derived);
    if (derivedKeys.size > maxKept) {
      const oldest = derivedKeys.keys().next().value;
      if (oldest !== undefined) derivedKeys.delete(oldest);
    }
  }
  return derived;
}

function associatedData(header: string, context: string): Buffer {
  return Buffer.from(`${header}|${context}`, 'utf8');
}

/** Seals many secrets under one passphrase: the slow derivation is paid once per process. */
export interface SecretBox {
  /** Encrypts `plaintext`, bound to `context` (which opening must name again). */
  seal(plaintext: Uint8Array, context: string): string;
}

/** A box that seals under `passphrase` with this process's salt. */
export async function secretBox(
  passphrase: string,
  params: ScryptParams = passphraseScrypt,
): Promise<SecretBox> {
  if (passphrase.length === 0) throw new RangeError('the passphrase must not be empty');
  const log2N = Math.log2(params.N);
  if (!Number.isInteger(log2N) || log2N < 1 || log2N > maxLog2N || params.N * params.r > maxNr) {
    throw new RangeError('N must be a power of two up to 2^20, and N·r at most 2^21');
  }
  const saltId = `${passphraseId(passphrase)}|${params.N}|${params.r}|${params.p}`;
  let salt = processSalts.get(saltId);
  if (!salt) {
    salt = randomBytes(16);
    processSalts.set(saltId, salt);
  }
  const { key, check } = await derivedFor(passphrase, salt, params);
  const prefix = [version, log2N, params.r, params.p, b64(salt), b64(check)].join('.');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const header = `${prefix}.${b64(iv)}`;
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(associatedData(header, context));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return `${header}.${b64(ciphertext)}.${b64(cipher.getAuthTag())}`;
    },
  };
}

const part = /^[A-Za-z0-9_-]*$/;

/**
 * Opens what a SecretBox sealed, naming the same `context`. A passphrase that is not the
 * one it was sealed under is a WrongSecretPassphraseError (a WrongPassphraseError); anything malformed or altered (or a
 * secret of another context) is a SealedSecretError. Neither message carries the secret.
 */
export async function openSealed(
  sealed: string,
  passphrase: string,
  context: string,
): Promise<Buffer> {
  const parts = sealed.split('.');
  const [v, log2N, r, p, salt, check, iv, ciphertext, tag] = parts;
  if (parts.length !== 9 || v !== version || !parts.every((x) => part.test(x))) {
    throw new SealedSecretError('the sealed secret is not one this server wrote');
  }
  const params = { N: 2 ** Number(log2N), r: Number(r), p: Number(p) };
  const small = (s: string | undefined, max: number) =>
    /^\d{1,2}$/.test(s ?? '') && Number(s) >= 1 && Number(s) <= max;
  if (!small(log2N, maxLog2N) || !small(r, 32) || !small(p, 16) || params.N * params.r > maxNr) {
    throw new SealedSecretError('the sealed secret has key-derivation parameters we do not accept');
  }
  const saltBytes = Buffer.from(salt ?? '', 'base64url');
  const ivBytes = Buffer.from(iv ?? '', 'base64url');
  const tagBytes = Buffer.from(tag ?? '', 'base64url');
  if (saltBytes.length !== 16 || ivBytes.length !== 12 || tagBytes.length !== 16) {
    throw new SealedSecretError('the sealed secret is incomplete');
  }
  const derived = await derivedFor(passphrase, saltBytes, params);
  const checkBytes = Buffer.from(check ?? '', 'base64url');
  if (checkBytes.length !== derived.check.length || !timingSafeEqual(checkBytes, derived.check)) {
    throw new WrongSecretPassphraseError();
  }
  const header = parts.slice(0, 7).join('.');
  const decipher = createDecipheriv('aes-256-gcm', derived.key, ivBytes);
  decipher.setAAD(associatedData(header, context));
  decipher.setAuthTag(tagBytes);
  try {
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext ?? '', 'base64url')),
      decipher.final(),
    ]);
  } catch {
    throw new SealedSecretError(
      'the sealed secret was altered, or belongs to something else: it fails its integrity check',
    );
  }
}
