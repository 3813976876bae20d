import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  CertificateError,
  type CertificateSummary,
  ekuNames,
  keyUsageBits,
  attributeNames as names,
  upnOid,
} from '../../pki/certificate-summary-fields.ts';

function distinguishedNameText(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${names[tv.type] ?? tv.type}=${String(tv.value.valueBlock.value)}`)
    .join(', ');
}

/**
 * The certificate summary read with pkijs, as the server read it before one reader served
 * both server and agent (pki/der-certificate-summary.ts): an independent reading of the same
 * DER, for pki/der-certificate-summary.test.ts to check that one against.
 */
export function pkijsCertificateSummary(der: Buffer): CertificateSummary {
  const asn1 = asn1js.fromBER(new Uint8Array(der).buffer);
  if (asn1.offset === -1) throw new CertificateError('not DER: the object does not decode');
  let cert: pkijs.Certificate;
  try {
    cert = new pkijs.Certificate({ schema: asn1.result });
  } catch (err) {
    throw new CertificateError(`not an X.509 certificate: ${(err as Error).message}`);
  }
  const ext = (oid: string) =>
    cert.extensions?.find((e) => e.extnID === oid)?.parsedValue as unknown;
  const keyUsage: string[] = [];
  const ku = ext('2.5.29.15') as asn1js.BitString | undefined;
  if (ku) {
    const bytes = new Uint8Array(ku.valueBlock.valueHexView);
    keyUsageBits.forEach((name, i) => {
      if (((bytes[Math.floor(i / 8)] ?? 0) >> (7 - (i % 8))) & 1) keyUsage.push(name);
    });
  }
  const eku = ext('2.5.29.37') as pkijs.ExtKeyUsage | undefined;
  const san = ext('2.5.29.17') as pkijs.AltName | undefined;
  let email: string | null = null;
  let upn: string | null = null;
  for (const g of san?.altNames ?? []) {
    if (g.type === 1) email = String(g.value);
    if (g.type === 0) {
      const other = g.value as { valueBlock?: { value?: asn1js.AsnType[] } };
      const [oid, value] = other.valueBlock?.value ?? [];
      if (oid instanceof asn1js.ObjectIdentifier && oid.valueBlock.toString() === upnOid) {
        const inner = (value as asn1js.Constructed | undefined)?.valueBlock.value[0] as
          | asn1js.Utf8String
          | undefined;
        upn = inner?.valueBlock.value ?? null;
      }
    }
  }
  return {
    subject: distinguishedNameText(cert.subject),
    issuer: distinguishedNameText(cert.issuer),
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex'),
    notBefore: cert.notBefore.value.toISOString(),
    notAfter: cert.notAfter.value.toISOString(),
    keyUsage,
    extendedKeyUsage: (eku?.keyPurposes ?? []).map((oid) => ekuNames[oid] ?? oid),
    email,
    upn,
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}
