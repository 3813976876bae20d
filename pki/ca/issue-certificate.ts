import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { distinguishedNameText } from '../certificate-summary.ts';
import {
  authorityKeyIdentifier,
  caHash,
  distinguishedName,
  engine,
  extension,
  importCaPrivateKey,
  keyUsage,
  oid,
  parseCertificateDer,
  randomSerial,
  subjectKeyIdentifier,
  toDer,
  wholeSeconds,
  x509Time,
} from './x509-parts.ts';

/** Slot 9A (PIV authentication, Windows logon) or slot 9C (digital signature). */
export type CertificateProfile = 'authentication' | 'signature';

export interface CertificateHolder {
  name: string;
  /** The person's 12-digit user id (DOMAIN.md's UUID). */
  uuid: string;
  /** User principal name for Windows smart card logon, e.g. 555086689106@nhs.uk. */
  upn: string;
  email: string;
}

export interface IssueCertificateInput {
  issuingCa: { certificate: Uint8Array; privateKey: Uint8Array };
  /** DER SubjectPublicKeyInfo of the key made on the card: RSA 2048–4096, or EC P-256/P-384. */
  subjectPublicKeyInfo: Uint8Array;
  holder: CertificateHolder;
  profile: CertificateProfile;
  /** Where the CA publishes, without a trailing slash: CRL, OCSP and CA certificate URLs hang off it. */
  baseUrl: string;
  /** Days the certificate is valid for; two years unless configured. Capped at the issuing CA's end. */
  validityDays?: number;
  now?: Date;
}

export interface IssuedCertificate {
  certificate: Buffer;
  /** Hex, as the CRL and OCSP will name it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** The names and fingerprint as pki/certificate-summary.ts reads them off the DER. */
  subject: string;
  issuer: string;
  sha256: string;
}

/** The input names a key or holder the profiles cannot carry; nothing was signed. */
export class CertificateRequestError extends Error {
  override name = 'CertificateRequestError';
}

const defaultValidityDays = 730;
const rsaEncryption = '1.2.840.113549.1.1.1';
const ecPublicKey = '1.2.840.10045.2.1';
const allowedCurves: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
};

/**
 * Issues a card's end-entity certificate for a public key generated on the card, signed by the
 * issuing CA. The profile decides key usage, extended key usage and subject alternative names;
 * every certificate names where its status (CRL, OCSP) and its issuer's certificate are found.
 */
export async function issueCertificate(input: IssueCertificateInput): Promise<IssuedCertificate> {
  checkHolder(input.holder);
  const spki = parsePublicKey(input.subjectPublicKeyInfo);
  const { issuer, signingKey } = await openIssuer(input.issuingCa);

  const notBefore = wholeSeconds(input.now ?? new Date());
  const days = input.validityDays ?? defaultValidityDays;
  if (!Number.isInteger(days) || days < 1) {
    throw new CertificateRequestError('validity must be a whole number of days, at least 1');
  }
  const wanted = new Date(notBefore.getTime() + days * 86_400_000);
  // A certificate that outlives its issuer would fail validation for its last stretch.
  const notAfter = wanted < issuer.notAfter.value ? wanted : wholeSeconds(issuer.notAfter.value);
  if (notAfter <= notBefore) {
    throw new CertificateRequestError('the issuing CA has expired; it cannot issue certificates');
  }

  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = randomSerial();
  cert.issuer = issuer.subject;
  cert.subject = distinguishedName([
    { type: 'CN', value: input.holder.name },
    { type: 'serialNumber', value: input.holder.uuid },
  ]);
  cert.notBefore = x509Time(notBefore);
  cert.notAfter = x509Time(notAfter);
  cert.subjectPublicKeyInfo = spki;
  cert.extensions = [
    extension(oid.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
    ...profileExtensions(input.profile, input.holder),
    subjectKeyIdentifier(spki),
    authorityKeyIdentifier(issuer),
    extension(
      oid.crlDistributionPoints,
      false,
      new pkijs.CRLDistributionPoints({
        distributionPoints: [
          new pkijs.DistributionPoint({
            distributionPoint: [uri(`${input.baseUrl}/pki/issuing.crl`)],
          }),
        ],
      }),
    ),
    extension(
      oid.authorityInfoAccess,
      false,
      new pkijs.InfoAccess({
        accessDescriptions: [
          new pkijs.AccessDescription({
            accessMethod: oid.ocsp,
            accessLocation: uri(`${input.baseUrl}/pki/ocsp`),
          }),
          new pkijs.AccessDescription({
            accessMethod: oid.caIssuers,
            accessLocation: uri(`${input.baseUrl}/pki/issuing.crt`),
          }),
        ],
      }),
    ),
  ];
  await cert.sign(signingKey, caHash, engine);

  const certificate = toDer(cert);
  return {
    certificate,
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex'),
    notBefore,
    notAfter,
    subject: distinguishedNameText(cert.subject),
    issuer: distinguishedNameText(cert.issuer),
    sha256: createHash('sha256').update(certificate).digest('hex'),
  };
}

type OpenedIssuer = { issuer: pkijs.Certificate; signingKey: CryptoKey };
const openedIssuers = new WeakMap<
  Uint8Array,
  { certificate: Uint8Array; opened: Promise<OpenedIssuer> }
>();

/**
 * The issuing CA's certificate parsed and its key imported, once per pair of them the server
 * holds (the CA opener hands out the same bytes each time): parsing and importing cost more
 * than signing, and a card job signs two certificates in one step.
 */
function openIssuer(ca: IssueCertificateInput['issuingCa']): Promise<OpenedIssuer> {
  const kept = openedIssuers.get(ca.privateKey);
  if (kept && kept.certificate === ca.certificate) return kept.opened;
  const opened = importCaPrivateKey(ca.privateKey).then((signingKey) => ({
    issuer: parseCertificateDer(ca.certificate),
    signingKey,
  }));
  // A key that does not import is not remembered: the next call says so again.
  opened.catch(() => openedIssuers.delete(ca.privateKey));
  openedIssuers.set(ca.privateKey, { certificate: ca.certificate, opened });
  return opened;
}

function profileExtensions(
  profile: CertificateProfile,
  holder: CertificateHolder,
): pkijs.Extension[] {
  if (profile === 'authentication') {
    return [
      extension(oid.keyUsage, true, keyUsage(['digitalSignature'])),
      extension(
        oid.extKeyUsage,
        false,
        new pkijs.ExtKeyUsage({ keyPurposes: [oid.clientAuth, oid.smartcardLogon] }),
      ),
      extension(
        oid.subjectAltName,
        false,
        new pkijs.AltName({
          altNames: [new UpnGeneralName(holder.upn), rfc822(holder.email)],
        }),
      ),
    ];
  }
  return [
    extension(oid.keyUsage, true, keyUsage(['digitalSignature', 'nonRepudiation'])),
    extension(oid.subjectAltName, false, new pkijs.AltName({ altNames: [rfc822(holder.email)] })),
  ];
}

function uri(value: string): pkijs.GeneralName {
  return new pkijs.GeneralName({ type: 6, value });
}

function rfc822(value: string): pkijs.GeneralName {
  return new pkijs.GeneralName({ type: 1, value });
}

/**
 * otherName [0] { type-id, [0] EXPLICIT UTF8String } for the Microsoft UPN. pkijs's GeneralName
 * wraps an otherName's value in one more [0] than RFC 5280 has, so this one builds its own schema.
 */
class UpnGeneralName extends pkijs.GeneralName {
  constructor(upn: string) {
    super({ type: 0, value: upn });
  }
  override toSchema(): asn1js.Constructed {
    return new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 0 },
      value: [
        new asn1js.ObjectIdentifier({ value: oid.upn }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Utf8String({ value: String(this.value) })],
        }),
      ],
    });
  }
}

function checkHolder(holder: CertificateHolder): void {
  if (!/^\d{12}$/.test(holder.uuid)) {
    throw new CertificateRequestError('the user id must be 12 digits');
  }
  if (holder.name.trim() === '' || holder.name.length > 64) {
    // X.520 ub-common-name is 64.
    throw new CertificateRequestError('the name must be 1 to 64 characters');
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(holder.email) || !/^[\x21-\x7e]+$/.test(holder.email)) {
    // rfc822Name is an IA5String: no spaces, ASCII only.
    throw new CertificateRequestError('the email must be an ASCII address like name@example.org');
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(holder.upn)) {
    throw new CertificateRequestError('the UPN must look like user@domain');
  }
}

function parsePublicKey(der: Uint8Array): pkijs.PublicKeyInfo {
  const asn1 = asn1js.fromBER(new Uint8Array(der));
  let spki: pkijs.PublicKeyInfo;
  try {
    if (asn1.offset === -1) throw new Error('does not decode');
    spki = new pkijs.PublicKeyInfo({ schema: asn1.result });
  } catch {
    throw new CertificateRequestError('the public key is not a DER SubjectPublicKeyInfo');
  }
  const algorithm = spki.algorithm.algorithmId;
  if (algorithm === rsaEncryption) {
    const key = spki.parsedKey as pkijs.RSAPublicKey | undefined;
    const modulus = key ? new Uint8Array(key.modulus.valueBlock.valueHexView) : new Uint8Array();
    const bits = (modulus.length - (modulus[0] === 0 ? 1 : 0)) * 8;
    if (bits < 2048 || bits > 4096) {
      throw new CertificateRequestError(`an RSA key must be 2048 to 4096 bits, not ${bits}`);
    }
    return spki;
  }
  if (algorithm === ecPublicKey) {
    const curve = spki.algorithm.algorithmParams;
    const curveId =
      curve instanceof asn1js.ObjectIdentifier ? curve.valueBlock.toString() : undefined;
    if (curveId === undefined || !(curveId in allowedCurves)) {
      throw new CertificateRequestError('an EC key must be on P-256 or P-384');
    }
    return spki;
  }
  throw new CertificateRequestError('the public key must be RSA or EC');
}
