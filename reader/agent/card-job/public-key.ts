import { createPublicKey, X509Certificate } from 'node:crypto';
import { find, readAll } from '../../piv/tlv.ts';

export class PublicKeyError extends Error {
  override name = 'PublicKeyError';
}

/**
 * The DER SubjectPublicKeyInfo of an RSA key as GENERATE ASYMMETRIC KEY PAIR answers it,
 * `7F49 { 81 modulus 82 exponent }`. Refuses anything but a 2048-bit modulus.
 */
export function rsaPublicKeyInfo(answer: Buffer): Buffer {
  let template: Buffer | undefined;
  try {
    template = find(answer, 0x7f49);
  } catch (err) {
    throw new PublicKeyError(`the card's public key is not well formed: ${(err as Error).message}`);
  }
  if (!template) throw new PublicKeyError('the card answered without a public key (no 7F49)');
  const items = readAll(template);
  const n = items.find((t) => t.tag === 0x81)?.value;
  const e = items.find((t) => t.tag === 0x82)?.value;
  if (!n || !e)
    throw new PublicKeyError('the card sent an RSA public key without its modulus or exponent');
  const modulus = n[0] === 0 ? n.subarray(1) : n;
  if (modulus.length !== 256 || !((modulus[0] as number) & 0x80))
    throw new PublicKeyError(`the card made a ${modulus.length * 8}-bit key, not RSA 2048`);
  const key = createPublicKey({
    key: { kty: 'RSA', n: modulus.toString('base64url'), e: e.toString('base64url') },
    format: 'jwk',
  });
  return key.export({ type: 'spki', format: 'der' });
}

/** True when a DER certificate is for the key whose SubjectPublicKeyInfo is `spki`. */
export function certifiesKey(certificate: Buffer, spki: Buffer): boolean {
  try {
    return new X509Certificate(certificate).publicKey
      .export({ type: 'spki', format: 'der' })
      .equals(spki);
  } catch {
    return false;
  }
}
