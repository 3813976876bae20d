import { createHash } from 'node:crypto';
import {
  attributeNames,
  CertificateError,
  type CertificateSummary,
  ekuNames,
  keyUsageBits,
  upnOid,
} from './certificate-summary-fields.ts';
import {
  type DerElement,
  DerError,
  isUniversal,
  oidString,
  readDer,
  tagClass,
  universal,
} from './der.ts';

/**
 * The certificate reader of the server and the reader agent (certificate-summary.ts's
 * parseCertificate is this): the summary from a walk of the DER, checked against pkijs's
 * reading of the same certificates in der-certificate-summary.test.ts. pkijs and asn1js cost
 * a process ~16 MB to load and run, a fifth of what the watching agent may take; this costs
 * next to nothing.
 *
 * Structure is checked as pkijs checks it: the certificate's fields in order, optional ones
 * skipped, and a malformed extension fails the certificate, while a key usage, extended key
 * usage or subject alternative name whose value does not parse reads as none. It is
 * stricter where pkijs reads on through bad bytes, and so may differ from it on certificates
 * no CA issues: an element whose length runs past its parent's is refused (the certificate,
 * or the extension, which then reads as none), times must be in RFC 5280's forms
 * (YYMMDDHHMMSSZ, YYYYMMDDHHMMSS[.fff]Z), a name's value that is not a string is given as
 * `#` and its DER in hex (RFC 4514), and an OID arc past 2^53 in decimal (pkijs: in hex).
 */
export function parseCertificateDer(der: Buffer): CertificateSummary {
  let root: DerElement;
  try {
    root = readDer(der);
  } catch (err) {
    if (err instanceof DerError)
      throw new CertificateError(`not DER: the object does not decode (${err.message})`);
    throw err;
  }
  try {
    return summarise(root, der);
  } catch (err) {
    if (err instanceof DerError)
      throw new CertificateError(`not an X.509 certificate: ${err.message}`);
    throw err;
  }
}

function expect(ok: boolean, what: string): asserts ok {
  if (!ok) throw new DerError(what);
}

const isContext = (
  e: DerElement | undefined,
  tagNumber: number,
  constructed: boolean,
): e is DerElement =>
  !!e &&
  e.tagClass === tagClass.context &&
  e.tagNumber === tagNumber &&
  e.constructed === constructed;

function algorithm(e: DerElement | undefined, what: string) {
  expect(
    isUniversal(e, universal.sequence, true) && isUniversal(e.children[0], universal.oid),
    `${what} is not an AlgorithmIdentifier`,
  );
}

function summarise(cert: DerElement, der: Buffer): CertificateSummary {
  expect(isUniversal(cert, universal.sequence, true), 'it is not a SEQUENCE');
  const [tbs, signatureAlgorithm, signature] = cert.children;
  expect(isUniversal(tbs, universal.sequence, true), 'no tbsCertificate');
  algorithm(signatureAlgorithm, 'signatureAlgorithm');
  expect(isUniversal(signature, universal.bitString), 'no signature BIT STRING');

  const fields = tbs.children;
  let at = 0;
  if (isContext(fields[0], 0, true)) {
    expect(isUniversal(fields[0]?.children[0], universal.integer), 'the version is not an INTEGER');
    at += 1;
  }
  const serial = fields[at++];
  expect(isUniversal(serial, universal.integer, false), 'no serial number INTEGER');
  algorithm(fields[at++], 'the signature');
  const issuer = distinguishedName(fields[at++], 'issuer');
  const validity = fields[at++];
  expect(isUniversal(validity, universal.sequence, true), 'no validity SEQUENCE');
  const [notBefore, notAfter] = validity.children.slice(0, 2).map((t) => time(t));
  expect(!!notBefore && !!notAfter, 'the validity has not two times');
  const subject = distinguishedName(fields[at++], 'subject');
  const keyInfo = fields[at++];
  expect(
    isUniversal(keyInfo, universal.sequence, true) &&
      isUniversal(keyInfo.children[1], universal.bitString),
    'no subjectPublicKeyInfo',
  );
  algorithm(keyInfo.children[0], 'the public key algorithm');
  if (isContext(fields[at], 1, false)) at += 1;
  if (isContext(fields[at], 2, false)) at += 1;
  const extensions = isContext(fields[at], 3, true)
    ? extensionList(fields[at])
    : new Map<string, Buffer>();

  return {
    subject,
    issuer,
    serialNumber: serial.contents.toString('hex'),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    keyUsage: keyUsage(extensions.get('2.5.29.15')),
    extendedKeyUsage: extendedKeyUsage(extensions.get('2.5.29.37')),
    ...alternativeNames(extensions.get('2.5.29.17')),
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}

/** Each extension's value, by OID (the first of any OID given twice, as pkijs finds it). */
function extensionList(wrapper: DerElement | undefined): Map<string, Buffer> {
  const list = wrapper?.children[0];
  expect(isUniversal(list, universal.sequence, true), 'the extensions are not a SEQUENCE');
  const byOid = new Map<string, Buffer>();
  for (const extension of list.children) {
    const [id, second, third] = extension.children;
    const value = isUniversal(second, universal.boolean) ? third : second;
    expect(
      isUniversal(extension, universal.sequence, true) &&
        isUniversal(id, universal.oid) &&
        isUniversal(value, universal.octetString, false),
      'an extension is not { OID, critical, OCTET STRING }',
    );
    const oid = oidString(id);
    if (!byOid.has(oid)) byOid.set(oid, value.contents);
  }
  return byOid;
}

/** An extension's value as DER, or undefined when it does not decode (read as absent). */
function decoded(value: Buffer | undefined): DerElement | undefined {
  if (!value) return undefined;
  try {
    return readDer(value);
  } catch (err) {
    if (err instanceof DerError) return undefined;
    throw err;
  }
}

function keyUsage(value: Buffer | undefined): string[] {
  const bits = decoded(value);
  if (!bits || bits.constructed) return [];
  // A BIT STRING's first contents octet counts the unused bits (0 to 7); the named bits
  // follow, first bit first. Another primitive's contents are read as the bits, as pkijs
  // reads them, but for types that have no such contents.
  const noBits = [0, 5, universal.oid, 13] as number[]; // end-of-contents, NULL, OID, RELATIVE-OID
  if (bits.tagClass === tagClass.universal && noBits.includes(bits.tagNumber)) return [];
  let bytes = bits.contents;
  if (isUniversal(bits, universal.bitString)) {
    if (!bytes.length || (bytes[0] ?? 0) > 7) return [];
    bytes = bytes.subarray(1);
  }
  return keyUsageBits.filter((_, i) => ((bytes[Math.floor(i / 8)] ?? 0) >> (7 - (i % 8))) & 1);
}

function extendedKeyUsage(value: Buffer | undefined): string[] {
  const list = decoded(value);
  if (!isUniversal(list, universal.sequence, true)) return [];
  if (!list.children.every((e) => isUniversal(e, universal.oid))) return [];
  try {
    return list.children.map((e) => {
      const oid = oidString(e);
      return ekuNames[oid] ?? oid;
    });
  } catch (err) {
    if (err instanceof DerError) return [];
    throw err;
  }
}

/**
 * The subject alternative name's email (rfc822Name) and UPN (an otherName), the last of
 * each. A name of the list that is not a GeneralName voids the list, as in pkijs.
 */
function alternativeNames(value: Buffer | undefined): { email: string | null; upn: string | null } {
  const none = { email: null, upn: null };
  const list = decoded(value);
  if (!isUniversal(list, universal.sequence, true)) return none;
  let email: string | null = null;
  let upn: string | null = null;
  try {
    for (const name of list.children) {
      expect(name.tagClass === tagClass.context && name.tagNumber <= 8, 'not a GeneralName');
      const constructed = [0, 3, 4, 5].includes(name.tagNumber);
      expect(name.constructed === constructed, 'a GeneralName of the wrong form');
      if (name.tagNumber === 1) email = latin1(name.contents);
      if (name.tagNumber === 3)
        expect(isUniversal(name.children[0], universal.sequence, true), 'an x400Address');
      if (name.tagNumber === 4) distinguishedName(name.children[0], 'a directoryName');
      if (name.tagNumber === 5) ediPartyName(name);
      if (name.tagNumber === 0) {
        const [id, wrapped] = name.children;
        expect(isUniversal(id, universal.oid) && isContext(wrapped, 0, true), 'an otherName');
        const inner = wrapped?.children[0];
        expect(!!inner, 'an empty otherName');
        if (oidString(id) === upnOid) upn = stringValue(inner);
      }
    }
  } catch (err) {
    if (err instanceof DerError) return none;
    throw err;
  }
  return { email, upn };
}

/** ediPartyName: { [0] nameAssigner OPTIONAL, [1] partyName }, each a DirectoryString. */
function ediPartyName(name: DerElement) {
  const directoryString = (e: DerElement | undefined) =>
    !!e && e.tagClass === tagClass.universal && [12, 19, 20, 28, 30].includes(e.tagNumber);
  const [first, second] = name.children;
  const party = isContext(first, 0, true) ? second : first;
  expect(
    (!isContext(first, 0, true) || directoryString(first.children[0])) &&
      isContext(party, 1, true) &&
      directoryString(party.children[0]),
    'an ediPartyName',
  );
}

/** A Name as `CN=…, O=…`: every attribute of every RDN in order, as the summary gives it. */
function distinguishedName(name: DerElement | undefined, what: string): string {
  expect(isUniversal(name, universal.sequence, true), `the ${what} is not a Name`);
  const parts: string[] = [];
  for (const rdn of name.children) {
    expect(isUniversal(rdn, universal.set, true), `the ${what} has an RDN that is not a SET`);
    for (const attribute of rdn.children) {
      const [type, value] = attribute.children;
      expect(
        isUniversal(attribute, universal.sequence, true) &&
          isUniversal(type, universal.oid) &&
          !!value,
        `the ${what} has an attribute that is not { OID, value }`,
      );
      const oid = oidString(type);
      parts.push(
        `${attributeNames[oid] ?? oid}=${stringValue(value) ?? `#${value.encoding.toString('hex')}`}`,
      );
    }
  }
  return parts.join(', ');
}

const latin1 = (bytes: Buffer) => bytes.toString('latin1');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The string an ASN.1 string type holds, decoded as asn1js decodes it; null for another type. */
function stringValue(e: DerElement): string | null {
  if (e.tagClass !== tagClass.universal || e.constructed) return null;
  switch (e.tagNumber) {
    case universal.utf8String:
      try {
        return strictUtf8.decode(e.contents);
      } catch {
        return latin1(e.contents);
      }
    case universal.bmpString: {
      expect(e.contents.length % 2 === 0, 'a BMPString of an odd length');
      const swapped = Buffer.from(e.contents);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case universal.universalString:
      return universalString(e.contents);
    // NumericString, PrintableString, TeletexString, VideotexString, IA5String,
    // GraphicString, VisibleString, GeneralString, CharacterString: one character a byte.
    case 18:
    case 19:
    case 20:
    case 21:
    case 22:
    case 25:
    case 26:
    case 27:
    case 29:
      return latin1(e.contents);
    default:
      return null;
  }
}

/** UTF-32BE, with what is no code point (or a lone surrogate) as U+FFFD, as asn1js reads it. */
function universalString(bytes: Buffer): string {
  expect(bytes.length % 4 === 0, 'a UniversalString whose length is not a multiple of 4');
  const points: number[] = [];
  const count = bytes.length / 4;
  for (let i = 0; i < count; i += 1) {
    const point = bytes.readUInt32BE(i * 4);
    if (point > 0x10ffff) points.push(0xfffd);
    else if (point >= 0xd800 && point <= 0xdfff) {
      const next = i + 1 < count ? bytes.readUInt32BE((i + 1) * 4) : 0;
      if (point <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        points.push(0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00));
        i += 1;
      } else points.push(0xfffd);
    } else points.push(point);
  }
  return points.map((p) => String.fromCodePoint(p)).join('');
}

/** A UTCTime or GeneralizedTime, in RFC 5280's forms (a GeneralizedTime may have a fraction). */
function time(e: DerElement): Date {
  const text = latin1(e.contents);
  if (isUniversal(e, universal.utcTime, false)) {
    const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    expect(m !== null, `the UTCTime "${text}" is not YYMMDDHHMMSSZ`);
    const n = (i: number) => Number(m[i]);
    const year = n(1) >= 50 ? 1900 + n(1) : 2000 + n(1);
    return new Date(Date.UTC(year, n(2) - 1, n(3), n(4), n(5), n(6)));
  }
  if (isUniversal(e, universal.generalizedTime, false)) {
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$/.exec(text);
    expect(m !== null, `the GeneralizedTime "${text}" is not YYYYMMDDHHMMSS[.fff]Z`);
    const n = (i: number) => Number(m[i]);
    const ms = m[7] ? Math.floor(1000 * Number(`0.${m[7]}`)) : 0;
    return new Date(Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), ms));
  }
  throw new DerError('a time that is neither a UTCTime nor a GeneralizedTime');
}
