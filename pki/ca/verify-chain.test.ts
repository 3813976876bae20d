import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthorities, createCertificateAuthorities } from './create-ca.ts';
import { issueCertificate } from './issue-certificate.ts';
import { namesIssuer, verifyChain } from './verify-chain.ts';
import { engine, parseCertificateDer } from './x509-parts.ts';

const now = new Date('2026-11-30T09:00:00Z');
let ours: CertificateAuthorities;
let theirs: CertificateAuthorities;
let ourLeaf: Buffer;
let foreignLeaf: Buffer;
/** Names our issuing CA as its issuer, but signed with another CA's key. */
let forgedLeaf: Buffer;
beforeAll(async () => {
  [ours, theirs] = await Promise.all([
    createCertificateAuthorities({ organisation: 'Our Trust', now }),
    createCertificateAuthorities({ organisation: 'Their Trust', now }),
  ]);
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey));
  const request = {
    subjectPublicKeyInfo: spki,
    holder: {
      name: 'Test Holder',
      uuid: '100000000001',
      upn: 'h@example.test',
      email: 'h@example.test',
    },
    profile: 'authentication' as const,
    baseUrl: 'https://ra.example.test',
    now,
  };
  ourLeaf = (await issueCertificate({ ...request, issuingCa: ours.issuing })).certificate;
  foreignLeaf = (await issueCertificate({ ...request, issuingCa: theirs.issuing })).certificate;
  forgedLeaf = (
    await issueCertificate({
      ...request,
      issuingCa: { certificate: ours.issuing.certificate, privateKey: theirs.issuing.privateKey },
    })
  ).certificate;
});

const at = new Date('2027-01-01T00:00:00Z');
const against = (leaf: Buffer, when = at) =>
  verifyChain({
    leaf,
    intermediates: [ours.issuing.certificate],
    trusted: [ours.root.certificate],
    at: when,
  });

describe('verifyChain', () => {
  it('accepts our leaf through our issuing CA to our root', async () => {
    expect(await against(ourLeaf)).toEqual({ valid: true, reason: '' });
  });

  it('refuses a foreign leaf, which pkijs reports as valid when the leaf is not last in its list', async () => {
    // The trap verifyChain guards against: pkijs validates the last certificate listed, here our issuing CA.
    const raw = await new pkijs.CertificateChainValidationEngine({
      trustedCerts: [parseCertificateDer(ours.root.certificate)],
      certs: [parseCertificateDer(foreignLeaf), parseCertificateDer(ours.issuing.certificate)],
      checkDate: at,
    }).verify({}, engine);
    expect(raw.result).toBe(true);
    expect((await against(foreignLeaf)).valid).toBe(false);
  });

  it('refuses our leaf after it expires and without the issuing CA', async () => {
    expect((await against(ourLeaf, new Date('2029-01-01T00:00:00Z'))).valid).toBe(false);
    const alone = await verifyChain({
      leaf: ourLeaf,
      intermediates: [],
      trusted: [ours.root.certificate],
      at,
    });
    expect(alone.valid).toBe(false);
  });

  it('refuses a leaf that names our issuing CA but was signed with another key', async () => {
    expect(namesIssuer(forgedLeaf, ours.issuing.certificate)).toBe(true);
    expect((await against(forgedLeaf)).valid).toBe(false);
  });
});

describe('namesIssuer', () => {
  it('tells the CA a certificate claims as its issuer', () => {
    expect(namesIssuer(ourLeaf, ours.issuing.certificate)).toBe(true);
    expect(namesIssuer(foreignLeaf, ours.issuing.certificate)).toBe(false);
    expect(namesIssuer(foreignLeaf, theirs.issuing.certificate)).toBe(true);
    // The issuing CA is named by our root, not by itself.
    expect(namesIssuer(ours.issuing.certificate, ours.root.certificate)).toBe(true);
    expect(namesIssuer(ourLeaf, ours.root.certificate)).toBe(false);
  });
});
