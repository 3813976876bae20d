import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  privateEncrypt,
} from 'node:crypto';
import { tlv } from '../piv/tlv.ts';
import type { KeyAlgorithm } from './card-profile.ts';
import { signDigest } from './ecdsa-p256.ts';

/** Makes a key pair on the "card"; returns the private key PEM for the profile. */
export function generateCardKey(algorithm: KeyAlgorithm): string {
  const pair =
    algorithm === 'rsa2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The public key as GENERATE ASYMMETRIC KEY PAIR answers it: `7F49 { 81 n 82 e }` or `{ 86 point }`. */
export function publicKeyTemplate(algorithm: KeyAlgorithm, pem: string): Buffer {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  const b = (v: string | undefined) => Buffer.from(v ?? '', 'base64url');
  if (algorithm === 'rsa2048') return tlv(0x7f49, tlv(0x81, b(jwk.n)), tlv(0x82, b(jwk.e)));
  return tlv(0x7f49, tlv(0x86, Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)])));
}

/**
 * The card's private-key operation: raw RSA on a block the host has already padded, or
 * ECDSA on a digest the host has already hashed. Undefined when the input cannot be one.
 */
export function cardSign(algorithm: KeyAlgorithm, pem: string, input: Buffer): Buffer | undefined {
  const key: KeyObject = createPrivateKey(pem);
  if (algorithm === 'rsa2048') {
    if (input.length !== 256) return undefined;
    return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, input);
  }
  if (input.length === 0 || input.length > 64) return undefined;
  const d = Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url');
  return signDigest(d, input);
}
