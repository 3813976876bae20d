import { createHash, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/**
 * The pieces every certificate of our CA is made of, built with pkijs and asn1js objects
 * (never hand-written DER), shared by the CA and end-entity profiles.
 */

/** One crypto engine over Node's WebCrypto, passed to every pkijs call so no global is set. */
export const engine = new pkijs.CryptoEngine({
  name: 'node-webcrypto',
  crypto: webcrypto as unknown as Crypto,
});

export const subtle = webcrypto.subtle;

/** The CA keys' algorithm: ECDSA on P-384, signing with SHA-384. */
export const caKeyAlgorithm: EcKeyGenParams & EcKeyImportParams = {
  name: 'ECDSA',
  namedCurve: 'P-384',
};
export const caHash = 'SHA-384';

export const oid = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  smartcardLogon: '1.3.6.1.4.1.311.20.2.2',
  upn: '1.3.6.1.4.1.311.20.2.3',
} as const;

/**
 * A random serial of exactly 16 bytes that DER reads as a positive INTEGER: the first byte is
 * 0x01–0x7f, so no 0x00 pad is needed (which would make it 17 bytes) and none may be dropped
 * (a leading 0x00 followed by a byte below 0x80 is not minimal DER). 127 bits of randomness.
 */
export function randomSerial(): asn1js.Integer {
  const bytes = randomBytes(16);
  bytes[0] = 1 + ((bytes[0] ?? 0) % 0x7f);
  return new asn1js.Integer({ valueHex: new Uint8Array(bytes).buffer });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value. */
export function keyIdentifier(spki: pkijs.PublicKeyInfo): ArrayBuffer {
  const digest = createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest();
  return new Uint8Array(digest).buffer;
}

/** UTCTime up to 2049, GeneralizedTime from 2050 on, as RFC 5280 §4.1.2.5 requires. */
export function x509Time(date: Date): pkijs.Time {
  return new pkijs.Time({
    type: date.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime,
    value: date,
  });
}

/** Certificates carry whole seconds; dropping the milliseconds keeps comparisons exact. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export function addYears(date: Date, years: number): Date {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

export type NamePart =
  | { type: 'C'; value: string }
  | { type: 'O'; value: string }
  | { type: 'CN'; value: string }
  | { type: 'serialNumber'; value: string };

/**
 * A distinguished name in the given order, one attribute per RDN (pkijs, left to itself, puts
 * every attribute into one multi-valued RDN). C and serialNumber are PrintableString by X.520.
 */
export function distinguishedName(parts: NamePart[]): pkijs.RelativeDistinguishedNames {
  const sequence = new asn1js.Sequence({
    value: parts.map((part) => new asn1js.Set({ value: [nameAttribute(part).toSchema()] })),
  });
  // Decoded from its own encoding so pkijs keeps these RDNs as they are when it re-encodes.
  return new pkijs.RelativeDistinguishedNames({
    schema: asn1js.fromBER(sequence.toBER(false)).result,
  });
}

function nameAttribute(part: NamePart): pkijs.AttributeTypeAndValue {
  switch (part.type) {
    case 'C':
      return attribute(oid.country, new asn1js.PrintableString({ value: part.value }));
    case 'serialNumber':
      return attribute(oid.serialNumber, new asn1js.PrintableString({ value: part.value }));
    case 'O':
      return attribute(oid.organization, new asn1js.Utf8String({ value: part.value }));
    case 'CN':
      return attribute(oid.commonName, new asn1js.Utf8String({ value: part.value }));
  }
}

function attribute(
  type: string,
  value: asn1js.Utf8String | asn1js.PrintableString,
): pkijs.AttributeTypeAndValue {
  return new pkijs.AttributeTypeAndValue({ type, value });
}

export function extension(
  extnID: string,
  critical: boolean,
  value: { toSchema(): asn1js.AsnType } | asn1js.AsnType,
): pkijs.Extension {
  const schema = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

/** keyUsage as a named-bit BIT STRING with trailing zero bits dropped (DER). */
export function keyUsage(
  bits: ('digitalSignature' | 'nonRepudiation' | 'keyCertSign' | 'cRLSign')[],
): asn1js.BitString {
  const position = { digitalSignature: 0, nonRepudiation: 1, keyCertSign: 5, cRLSign: 6 };
  let byte = 0;
  let last = 0;
  for (const bit of bits) {
    byte |= 0x80 >> position[bit];
    last = Math.max(last, position[bit]);
  }
  return new asn1js.BitString({
    valueHex: new Uint8Array([byte]).buffer,
    unusedBits: 7 - last,
  });
}

export function subjectKeyIdentifier(spki: pkijs.PublicKeyInfo): pkijs.Extension {
  return extension(
    oid.subjectKeyIdentifier,
    false,
    new asn1js.OctetString({ valueHex: keyIdentifier(spki) }),
  );
}

export function authorityKeyIdentifier(issuer: pkijs.Certificate): pkijs.Extension {
  return extension(
    oid.authorityKeyIdentifier,
    false,
    new pkijs.AuthorityKeyIdentifier({
      keyIdentifier: new asn1js.OctetString({
        valueHex: keyIdentifier(issuer.subjectPublicKeyInfo),
      }),
    }),
  );
}

export function parseCertificateDer(der: Uint8Array): pkijs.Certificate {
  const asn1 = asn1js.fromBER(new Uint8Array(der));
  if (asn1.offset === -1) throw new Error('not DER: the certificate does not decode');
  return new pkijs.Certificate({ schema: asn1.result });
}

export function toDer(value: { toSchema(): asn1js.AsnType }): Buffer {
  return Buffer.from(value.toSchema().toBER(false));
}

export async function importCaPrivateKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  return (await subtle.importKey('pkcs8', new Uint8Array(pkcs8), caKeyAlgorithm, false, [
    'sign',
  ])) as CryptoKey;
}
