import { spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../certificate-summary.ts';
import { type CertificateAuthorities, createCertificateAuthorities } from './create-ca.ts';
import {
  type CertificateHolder,
  type CertificateProfile,
  CertificateRequestError,
  issueCertificate,
} from './issue-certificate.ts';
import { verifyChain } from './verify-chain.ts';
import { parseCertificateDer, randomSerial } from './x509-parts.ts';

// openssl is used here only, as an outside judge of what pkijs encoded; the CA never runs it.
const openssl = '/usr/bin/openssl';
const dir = mkdtempSync(join(tmpdir(), 'ra-ca-'));
const baseUrl = 'https://ra.example.test';
const holder: CertificateHolder = {
  name: 'Nia Okafor',
  uuid: '555086689106',
  upn: '555086689106@nhs.example',
  email: 'nia.okafor@nhs.example',
};
const now = new Date('2026-11-30T09:00:00Z');

function pem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
let fileCount = 0;
function write(der: Uint8Array): string {
  const path = join(dir, `${++fileCount}.pem`);
  writeFileSync(path, pem(der));
  return path;
}
function run(args: string[]) {
  const result = spawnSync(openssl, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
function opensslVerify(cas: CertificateAuthorities, leaf: Uint8Array, extra: string[] = []) {
  return run([
    'verify',
    '-x509_strict',
    '-attime',
    String(Math.floor(now.getTime() / 1000) + 60),
    ...extra,
    '-CAfile',
    write(cas.root.certificate),
    '-untrusted',
    write(cas.issuing.certificate),
    write(leaf),
  ]);
}
function pkijsVerify(cas: CertificateAuthorities, leaf: Uint8Array) {
  return verifyChain({
    leaf,
    intermediates: [cas.issuing.certificate],
    trusted: [cas.root.certificate],
    at: new Date(now.getTime() + 60_000),
  });
}
function text(der: Uint8Array): string {
  return run(['x509', '-noout', '-text', '-in', write(der)]).output;
}
async function cardKey(kind: 'RSA-2048' | 'P-256'): Promise<Buffer> {
  const pair =
    kind === 'RSA-2048'
      ? await webcrypto.subtle.generateKey(
          {
            name: 'RSASSA-PKCS1-v1_5',
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: 'SHA-256',
          },
          true,
          ['sign', 'verify'],
        )
      : await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
          'sign',
          'verify',
        ]);
  return Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey));
}

let cas: CertificateAuthorities;
let strangers: CertificateAuthorities;
const keys: Record<string, Buffer> = {};
beforeAll(async () => {
  [cas, strangers, keys['RSA-2048'], keys['P-256']] = await Promise.all([
    createCertificateAuthorities({ organisation: 'Royal Wessex Group', now }),
    createCertificateAuthorities({ organisation: 'Another Trust', now }),
    cardKey('RSA-2048'),
    cardKey('P-256'),
  ]);
});

describe('createCertificateAuthorities', () => {
  it('makes a P-384 root (pathLen 1, 20 years) and an issuing CA under it (pathLen 0, 10 years) that openssl accepts', () => {
    const root = text(cas.root.certificate);
    expect(root).toContain(
      'Subject: C = GB, O = Royal Wessex Group, CN = Royal Wessex Group Root CA',
    );
    expect(root).toContain(
      'Issuer: C = GB, O = Royal Wessex Group, CN = Royal Wessex Group Root CA',
    );
    expect(root).toMatch(/CA:TRUE, pathlen:1/);
    expect(root).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(root).toContain('ecdsa-with-SHA384');
    expect(root).toMatch(/secp384r1|P-384/);
    expect(root).toContain('Not After : Nov 30 09:00:00 2046 GMT');

    const issuing = text(cas.issuing.certificate);
    expect(issuing).toContain(
      'Subject: C = GB, O = Royal Wessex Group, CN = Royal Wessex Group Issuing CA',
    );
    expect(issuing).toContain(
      'Issuer: C = GB, O = Royal Wessex Group, CN = Royal Wessex Group Root CA',
    );
    expect(issuing).toMatch(/CA:TRUE, pathlen:0/);
    expect(issuing).toContain('Not After : Nov 30 09:00:00 2036 GMT');
    // The issuing CA's authority key identifier is the root's subject key identifier.
    const rootSki = root.match(/Subject Key Identifier:\s+([0-9A-F:]+)/)?.[1];
    expect(rootSki).toBeDefined();
    expect(issuing).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${rootSki}`));

    const verified = run([
      'verify',
      '-x509_strict',
      '-attime',
      String(Math.floor(now.getTime() / 1000) + 60),
      '-CAfile',
      write(cas.root.certificate),
      write(cas.issuing.certificate),
    ]);
    expect(verified.output).toMatch(/: OK/);
    expect(verified.status).toBe(0);
  });

  it('returns private keys as PKCS#8 that sign', async () => {
    const key = await webcrypto.subtle.importKey(
      'pkcs8',
      cas.issuing.privateKey,
      { name: 'ECDSA', namedCurve: 'P-384' },
      false,
      ['sign'],
    );
    expect(key.type).toBe('private');
  });
});

describe('issueCertificate', () => {
  for (const kind of ['RSA-2048', 'P-256'] as const) {
    for (const profile of ['authentication', 'signature'] as const) {
      it(`issues a ${profile} certificate for a ${kind} card key that pkijs and openssl both accept`, async () => {
        const issued = await issueCertificate({
          issuingCa: cas.issuing,
          subjectPublicKeyInfo: keys[kind] as Buffer,
          holder,
          profile,
          baseUrl,
          now,
        });
        expect(await pkijsVerify(cas, issued.certificate)).toEqual({ valid: true, reason: '' });
        const purpose = profile === 'authentication' ? ['-purpose', 'sslclient'] : [];
        const verified = opensslVerify(cas, issued.certificate, purpose);
        expect(verified.output).toMatch(/: OK/);
        expect(verified.status).toBe(0);

        const shown = text(issued.certificate);
        expect(shown).toContain('Subject: CN = Nia Okafor, serialNumber = 555086689106');
        expect(shown).toContain('ecdsa-with-SHA384');
        expect(shown).toMatch(/CA:FALSE/);
        expect(shown).toContain(`Full Name:\n                  URI:${baseUrl}/pki/issuing.crl`);
        expect(shown).toContain(`OCSP - URI:${baseUrl}/pki/ocsp`);
        expect(shown).toContain(`CA Issuers - URI:${baseUrl}/pki/issuing.crt`);
        expect(shown).toMatch(/X509v3 Authority Key Identifier/);
        expect(shown).toMatch(/X509v3 Subject Key Identifier/);
        const summary = parseCertificate(issued.certificate);
        expect(summary.email).toBe(holder.email);
        // What the issuer says it signed is what a reader of the DER finds.
        expect({ subject: issued.subject, issuer: issued.issuer, sha256: issued.sha256 }).toEqual({
          subject: summary.subject,
          issuer: summary.issuer,
          sha256: summary.sha256,
        });
        expect(issued.subject).toBe('CN=Nia Okafor, serialNumber=555086689106');
        if (profile === 'authentication') {
          expect(shown).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
          expect(shown).toMatch(
            /X509v3 Extended Key Usage:\s+TLS Web Client Authentication, Microsoft Smartcard Login/,
          );
          expect(shown).toMatch(/(UPN|msUPN)::?555086689106@nhs\.example/);
          expect(shown).toContain('email:nia.okafor@nhs.example');
          expect(summary.upn).toBe(holder.upn);
          expect(summary.extendedKeyUsage).toEqual(['clientAuth', 'smartcardLogon']);
        } else {
          expect(shown).toMatch(
            /X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation\n/,
          );
          expect(shown).not.toContain('Extended Key Usage');
          expect(shown).not.toMatch(/UPN/);
          expect(summary.upn).toBeNull();
          expect(summary.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
        }
      });
    }
  }

  it('is refused, by pkijs and by openssl, when the certificate comes from another CA', async () => {
    const foreign = await issueCertificate({
      issuingCa: strangers.issuing,
      subjectPublicKeyInfo: keys['P-256'] as Buffer,
      holder,
      profile: 'authentication',
      baseUrl,
      now,
    });
    expect((await pkijsVerify(cas, foreign.certificate)).valid).toBe(false);
    const verified = opensslVerify(cas, foreign.certificate);
    expect(verified.status).not.toBe(0);
    expect(verified.output).toMatch(/unable to get local issuer certificate/);
  });

  it('lasts two years unless told, and never past the issuing CA', async () => {
    const usual = await issueCertificate({
      issuingCa: cas.issuing,
      subjectPublicKeyInfo: keys['P-256'] as Buffer,
      holder,
      profile: 'signature',
      baseUrl,
      now,
    });
    expect(usual.notBefore.toISOString()).toBe('2026-11-30T09:00:00.000Z');
    expect(usual.notAfter.toISOString()).toBe('2028-11-29T09:00:00.000Z');

    const long = await issueCertificate({
      issuingCa: cas.issuing,
      subjectPublicKeyInfo: keys['P-256'] as Buffer,
      holder,
      profile: 'signature',
      baseUrl,
      validityDays: 20 * 365,
      now,
    });
    const issuingEnd = parseCertificateDer(cas.issuing.certificate).notAfter.value;
    expect(long.notAfter.getTime()).toBe(issuingEnd.getTime());
    expect(parseCertificate(long.certificate).notAfter).toBe(issuingEnd.toISOString());
    expect(opensslVerify(cas, long.certificate).status).toBe(0);

    await expect(
      issueCertificate({
        issuingCa: cas.issuing,
        subjectPublicKeyInfo: keys['P-256'] as Buffer,
        holder,
        profile: 'signature',
        baseUrl,
        now: new Date('2037-01-01T00:00:00Z'),
      }),
    ).rejects.toThrow(/issuing CA has expired/);
  });

  it('gives every certificate a random, positive, 16-byte serial', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const issued = await issueCertificate({
        issuingCa: cas.issuing,
        subjectPublicKeyInfo: keys['P-256'] as Buffer,
        holder,
        profile: 'authentication' as CertificateProfile,
        baseUrl,
        now,
      });
      const bytes = parseCertificateDer(issued.certificate).serialNumber.valueBlock.valueHexView;
      expect(bytes.length).toBe(16);
      expect(bytes[0]).toBeGreaterThan(0);
      expect(bytes[0]).toBeLessThan(0x80);
      expect(issued.serialNumber).toMatch(/^[0-9a-f]{32}$/);
      const shown = run(['x509', '-noout', '-serial', '-in', write(issued.certificate)]).output;
      expect(shown.trim().toLowerCase()).toBe(`serial=${issued.serialNumber}`);
      serials.add(issued.serialNumber);
    }
    expect(serials.size).toBe(4);
    for (const der of [cas.root.certificate, cas.issuing.certificate]) {
      expect(parseCertificateDer(der).serialNumber.valueBlock.valueHexView.length).toBe(16);
    }
    // Many draws: the first byte is never 0x00 (not minimal DER) nor 0x80+ (negative).
    for (let i = 0; i < 2000; i++) {
      const first = randomSerial().valueBlock.valueHexView[0] ?? 0;
      expect(first >= 1 && first <= 0x7f).toBe(true);
    }
  });

  it('refuses keys and holders the profiles cannot carry, before signing anything', async () => {
    const rsa1024 = await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    );
    const p521 = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, [
      'sign',
      'verify',
    ]);
    const base = { issuingCa: cas.issuing, holder, profile: 'signature' as const, baseUrl, now };
    const spki = async (key: webcrypto.CryptoKey) =>
      Buffer.from(await webcrypto.subtle.exportKey('spki', key));
    await expect(
      issueCertificate({ ...base, subjectPublicKeyInfo: await spki(rsa1024.publicKey) }),
    ).rejects.toThrow(/2048 to 4096 bits, not 1024/);
    await expect(
      issueCertificate({ ...base, subjectPublicKeyInfo: await spki(p521.publicKey) }),
    ).rejects.toThrow(/P-256 or P-384/);
    await expect(
      issueCertificate({ ...base, subjectPublicKeyInfo: Buffer.from('not a key') }),
    ).rejects.toThrow(CertificateRequestError);
    await expect(
      issueCertificate({
        ...base,
        subjectPublicKeyInfo: keys['P-256'] as Buffer,
        holder: { ...holder, uuid: '12345' },
      }),
    ).rejects.toThrow(/12 digits/);
  });
});
