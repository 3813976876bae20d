import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  authorityKeyIdentifier,
  caHash,
  engine,
  extension,
  importCaPrivateKey,
  parseCertificateDer,
  toDer,
  wholeSeconds,
  x509Time,
} from './x509-parts.ts';

/**
 * The RFC 5280 §5.3.1 reasons a certificate of ours is revoked with. `removeFromCRL` (8) is not
 * one: it releases a hold, and a released certificate is simply left out of the next CRL
 * (RFC 5280 §5.3.1 allows delta CRLs to list it with removeFromCRL; we publish full CRLs only).
 */
export type RevocationReason =
  | 'keyCompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold';

/** CRLReason ENUMERATED values, RFC 5280 §5.3.1 (also OCSP's RevokedInfo, RFC 6960 §4.2.1). */
export const reasonCodes: Record<RevocationReason, number> = {
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
};

export interface RevokedEntry {
  /** Hex, as issueCertificate returned it (the INTEGER's content octets). */
  serialNumber: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CreateCrlInput {
  issuingCa: { certificate: Uint8Array; privateKey: Uint8Array };
  /** Must grow with every CRL this CA publishes (RFC 5280 §5.2.3); the caller keeps the counter. */
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  /**
   * Every certificate revoked or on hold now and not yet expired. A certificate whose hold was
   * released (removeFromCRL) is not listed: being absent is what "no longer revoked" means here.
   */
  revoked: RevokedEntry[];
}

/** The input cannot make a valid CRL; nothing was signed. */
export class CrlInputError extends Error {
  override name = 'CrlInputError';
}

const crlNumberOid = '2.5.29.20';
const reasonCodeOid = '2.5.29.21';
/** RFC 5280 §5.2.3: a CRL number is at most 20 octets. */
const maxCrlNumber = 2n ** 159n - 1n;

/**
 * A DER v2 CRL signed by the issuing CA (ECDSA SHA-384), with the CRL number and authority key
 * identifier extensions, and a reasonCode entry extension on every revoked certificate.
 */
export async function createCrl(input: CreateCrlInput): Promise<Buffer> {
  if (input.crlNumber < 0n || input.crlNumber > maxCrlNumber) {
    throw new CrlInputError('the CRL number must be between 0 and 2^159 - 1');
  }
  const thisUpdate = wholeSeconds(input.thisUpdate);
  const nextUpdate = wholeSeconds(input.nextUpdate);
  if (nextUpdate <= thisUpdate) {
    throw new CrlInputError('nextUpdate must be after thisUpdate');
  }
  const seen = new Set<string>();
  const entries = input.revoked.map((entry) => {
    const serial = serialInteger(entry.serialNumber);
    const key = entry.serialNumber.toLowerCase();
    if (seen.has(key)) throw new CrlInputError(`serial ${key} is listed twice`);
    seen.add(key);
    const code = reasonCodes[entry.reason];
    if (code === undefined) throw new CrlInputError(`unknown reason ${String(entry.reason)}`);
    return new pkijs.RevokedCertificate({
      userCertificate: serial,
      revocationDate: x509Time(wholeSeconds(entry.revokedAt)),
      crlEntryExtensions: new pkijs.Extensions({
        extensions: [extension(reasonCodeOid, false, new asn1js.Enumerated({ value: code }))],
      }),
    });
  });

  const issuer = parseCertificateDer(input.issuingCa.certificate);
  const signingKey = await importCaPrivateKey(input.issuingCa.privateKey);
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1; // v2: needed for extensions
  crl.issuer = issuer.subject;
  crl.thisUpdate = x509Time(thisUpdate);
  crl.nextUpdate = x509Time(nextUpdate);
  // An empty list is left out entirely, as RFC 5280 §5.1.2.6 requires.
  if (entries.length > 0) crl.revokedCertificates = entries;
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      authorityKeyIdentifier(issuer),
      extension(crlNumberOid, false, asn1js.Integer.fromBigInt(input.crlNumber)),
    ],
  });
  await crl.sign(signingKey, caHash, engine);
  return toDer(crl);
}

/** A certificate serial given as hex content octets, kept byte for byte. */
export function serialInteger(hex: string): asn1js.Integer {
  if (!/^([0-9a-fA-F]{2}){1,20}$/.test(hex)) {
    throw new CrlInputError(`serial "${hex}" must be 1 to 20 bytes of hex`);
  }
  return new asn1js.Integer({ valueHex: new Uint8Array(Buffer.from(hex, 'hex')).buffer });
}
