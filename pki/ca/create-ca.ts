import * as pkijs from 'pkijs';
import {
  addYears,
  authorityKeyIdentifier,
  caHash,
  caKeyAlgorithm,
  distinguishedName,
  engine,
  extension,
  keyUsage,
  oid,
  randomSerial,
  subjectKeyIdentifier,
  subtle,
  toDer,
  wholeSeconds,
  x509Time,
} from './x509-parts.ts';

export interface CreateCaOptions {
  /** The organisation named in both CAs' subjects, e.g. "Royal Wessex Group". */
  organisation: string;
  /** ISO 3166 two-letter country code for the subjects; GB unless told. */
  country?: string;
  rootValidityYears?: number;
  issuingValidityYears?: number;
  now?: Date;
}

/** A CA's certificate (DER) and its private key (PKCS#8 DER, to be encrypted before it is stored). */
export interface CaMaterial {
  certificate: Buffer;
  privateKey: Buffer;
}

export interface CertificateAuthorities {
  root: CaMaterial;
  issuing: CaMaterial;
}

/**
 * Creates a deployment's two CAs: a self-signed root (pathLen 1) and an issuing CA signed by it
 * (pathLen 0, so it may sign only end-entity certificates), both ECDSA P-384 with SHA-384.
 * The root signs nothing else here; keeping it apart lets the issuing CA be replaced without
 * every relying party changing its trust anchor.
 */
export async function createCertificateAuthorities(
  options: CreateCaOptions,
): Promise<CertificateAuthorities> {
  const now = wholeSeconds(options.now ?? new Date());
  const country = options.country ?? 'GB';
  const rootYears = options.rootValidityYears ?? 20;
  const issuingYears = options.issuingValidityYears ?? 10;
  if (issuingYears > rootYears) {
    throw new RangeError('the issuing CA cannot outlive the root CA');
  }

  const rootKeys = await generateCaKeys();
  const rootName = distinguishedName([
    { type: 'C', value: country },
    { type: 'O', value: options.organisation },
    { type: 'CN', value: `${options.organisation} Root CA` },
  ]);
  const root = new pkijs.Certificate();
  root.version = 2;
  root.serialNumber = randomSerial();
  root.issuer = rootName;
  root.subject = rootName;
  root.notBefore = x509Time(now);
  root.notAfter = x509Time(addYears(now, rootYears));
  await root.subjectPublicKeyInfo.importKey(rootKeys.publicKey, engine);
  root.extensions = caExtensions(root, 1);
  // Self-signed: the authority key identifier is the certificate's own key.
  root.extensions.push(authorityKeyIdentifier(root));
  await root.sign(rootKeys.privateKey, caHash, engine);

  const issuingKeys = await generateCaKeys();
  const issuing = new pkijs.Certificate();
  issuing.version = 2;
  issuing.serialNumber = randomSerial();
  issuing.issuer = rootName;
  issuing.subject = distinguishedName([
    { type: 'C', value: country },
    { type: 'O', value: options.organisation },
    { type: 'CN', value: `${options.organisation} Issuing CA` },
  ]);
  issuing.notBefore = x509Time(now);
  issuing.notAfter = x509Time(addYears(now, issuingYears));
  await issuing.subjectPublicKeyInfo.importKey(issuingKeys.publicKey, engine);
  issuing.extensions = caExtensions(issuing, 0);
  issuing.extensions.push(authorityKeyIdentifier(root));
  await issuing.sign(rootKeys.privateKey, caHash, engine);

  return {
    root: { certificate: toDer(root), privateKey: await exportPkcs8(rootKeys.privateKey) },
    issuing: { certificate: toDer(issuing), privateKey: await exportPkcs8(issuingKeys.privateKey) },
  };
}

function caExtensions(cert: pkijs.Certificate, pathLenConstraint: number): pkijs.Extension[] {
  return [
    extension(
      oid.basicConstraints,
      true,
      new pkijs.BasicConstraints({ cA: true, pathLenConstraint }),
    ),
    extension(oid.keyUsage, true, keyUsage(['keyCertSign', 'cRLSign'])),
    subjectKeyIdentifier(cert.subjectPublicKeyInfo),
  ];
}

async function generateCaKeys(): Promise<CryptoKeyPair> {
  // Extractable only so the key can be exported once, encrypted, and stored.
  return (await subtle.generateKey(caKeyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportPkcs8(key: CryptoKey): Promise<Buffer> {
  return Buffer.from(await subtle.exportKey('pkcs8', key));
}
