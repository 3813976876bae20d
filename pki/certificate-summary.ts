import type * as pkijs from 'pkijs';
import {
  CertificateError,
  type CertificateSummary,
  attributeNames as names,
} from './certificate-summary-fields.ts';
import { parseCertificateDer } from './der-certificate-summary.ts';

export { CertificateError, type CertificateSummary };

/** A name as reports and records spell it: `CN=Grace Adeyemi, serialNumber=5550…`. */
export function distinguishedNameText(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${names[tv.type] ?? tv.type}=${String(tv.value.valueBlock.value)}`)
    .join(', ');
}

/**
 * Parses DER; anything that is not an X.509 certificate is a CertificateError. One reader for
 * the server and the reader agent alike (a walk of the DER, pki/der-certificate-summary.ts),
 * so what an agent reports of a certificate and what the server reads of it never differ.
 */
export function parseCertificate(der: Buffer): CertificateSummary {
  return parseCertificateDer(der);
}
