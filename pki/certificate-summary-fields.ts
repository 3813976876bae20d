/**
 * A certificate's summary as the agent reports it and the server keeps it, and the names it
 * uses: shared by the two readers of X.509 that make one (pkijs's on the server, the small
 * DER walk in the reader agent), so they cannot drift apart.
 */

/** What is reported of a certificate: enough to match it and judge its expiry, never key material. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  email: string | null;
  upn: string | null;
  sha256: string;
}

export const attributeNames: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
export const keyUsageBits = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];
export const ekuNames: Record<string, string> = {
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.4.1.311.20.2.2': 'smartcardLogon',
  '1.3.6.1.5.2.3.4': 'pkinitClient',
};
export const upnOid = '1.3.6.1.4.1.311.20.2.3';

export class CertificateError extends Error {
  override name = 'CertificateError';
}
