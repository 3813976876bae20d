import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, parseCertificate } from './certificate-summary.ts';

// Certificates made by openssl, not by us, so the parser is checked against an outside encoder.
const dir = mkdtempSync(join(tmpdir(), 'ra-pki-'));
function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] });
}
function makeCertificate(name: string, key: string[], extensions: string[]): Buffer {
  const out = join(dir, `${name}.der`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    ...key,
    '-nodes',
    '-keyout',
    join(dir, `${name}.key`),
    '-outform',
    'DER',
    '-out',
    out,
    '-subj',
    '/C=GB/O=RWG/OU=Nursing/CN=Nia Okafor',
    '-days',
    '30',
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
  return readFileSync(out);
}

let smartcard: Buffer;
let plain: Buffer;
beforeAll(() => {
  smartcard = makeCertificate(
    'smartcard',
    ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth,1.3.6.1.4.1.311.20.2.2,1.2.3.4',
      'subjectAltName=email:nia.okafor@nhs.net,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:555086689106@nhs.uk',
    ],
  );
  plain = makeCertificate('plain', ['rsa:2048'], []);
});

describe('parseCertificate', () => {
  it('reads names, validity, key usage, EKU and the SAN email and UPN of a smart card certificate', () => {
    const summary = parseCertificate(smartcard);
    expect(summary.subject).toBe('C=GB, O=RWG, OU=Nursing, CN=Nia Okafor');
    expect(summary.issuer).toBe(summary.subject);
    expect(summary.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(summary.extendedKeyUsage).toEqual(['clientAuth', 'smartcardLogon', '1.2.3.4']);
    expect(summary.email).toBe('nia.okafor@nhs.net');
    expect(summary.upn).toBe('555086689106@nhs.uk');
    const days = (Date.parse(summary.notAfter) - Date.parse(summary.notBefore)) / 86_400_000;
    expect(days).toBe(30);
  });

  it('gives the serial number and SHA-256 fingerprint that openssl gives', () => {
    const summary = parseCertificate(smartcard);
    const file = join(dir, 'smartcard.der');
    const serial = openssl(['x509', '-inform', 'DER', '-in', file, '-noout', '-serial'])
      .toString()
      .trim()
      .replace(/^serial=/, '');
    const fingerprint = openssl([
      'x509',
      '-inform',
      'DER',
      '-in',
      file,
      '-noout',
      '-fingerprint',
      '-sha256',
    ])
      .toString()
      .trim()
      .replace(/^.*=/, '');
    expect(summary.serialNumber.replace(/^00/, '')).toBe(serial.toLowerCase().replace(/^00/, ''));
    expect(summary.sha256).toBe(fingerprint.replaceAll(':', '').toLowerCase());
  });

  it('reads a certificate without extensions as having none', () => {
    const summary = parseCertificate(plain);
    expect(summary.keyUsage).toEqual([]);
    expect(summary.extendedKeyUsage).toEqual([]);
    expect(summary.email).toBeNull();
    expect(summary.upn).toBeNull();
  });

  it('refuses bytes that are not DER, DER that is not a certificate, and a truncated certificate', () => {
    expect(() => parseCertificate(Buffer.from('not a certificate'))).toThrow(CertificateError);
    // A valid DER SEQUENCE holding one INTEGER: decodes, but is no certificate.
    expect(() => parseCertificate(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]))).toThrow(
      /not an X\.509 certificate/,
    );
    expect(() => parseCertificate(smartcard.subarray(0, smartcard.length - 40))).toThrow(
      CertificateError,
    );
    expect(() => parseCertificate(Buffer.alloc(0))).toThrow(CertificateError);
  });
});
