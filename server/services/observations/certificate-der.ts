import { createHash } from 'node:crypto';
import { CertificateError, parseCertificate } from '../../../pki/certificate-summary.ts';

/** The largest certificate an agent may send, decoded: the agent refuses larger ones itself. */
export const maxCertificateDerBytes = 16 * 1024;

/** Base64 of maxCertificateDerBytes is this long; a longer string is too large before decoding. */
const maxBase64Length = Math.ceil(maxCertificateDerBytes / 3) * 4;

/**
 * What is wrong with a reported certificate's DER, in words that name its slot; null when it
 * is base64 of at most 16 KiB, parses as an X.509 certificate, and is what the reported
 * sha256 is the fingerprint of.
 */
export function derProblem(slot: string, certificate: { sha256: string; der: string }) {
  const { der } = certificate;
  const slotWords = `The certificate in slot ${slot}`;
  if (der.length > maxBase64Length) {
    return `${slotWords} is larger than ${maxCertificateDerBytes / 1024} KiB: its DER is refused`;
  }
  if (!der || der.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(der)) {
    return `${slotWords}: der must be the certificate's DER in base64`;
  }
  const bytes = Buffer.from(der, 'base64');
  if (bytes.length > maxCertificateDerBytes) {
    return `${slotWords} is larger than ${maxCertificateDerBytes / 1024} KiB: its DER is refused`;
  }
  try {
    parseCertificate(bytes);
  } catch (err) {
    // Whatever pkijs trips on in bytes an agent sent is the sender's problem, not a 500.
    const why = err instanceof CertificateError ? err.message : 'it does not parse';
    return `${slotWords}: der is not an X.509 certificate (${why})`;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== certificate.sha256.toLowerCase()) {
    return `${slotWords}: der is not the certificate whose sha256 was reported (its SHA-256 is ${sha256})`;
  }
  return null;
}
