import { spawnSync } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthorities, createCertificateAuthorities } from './create-ca.ts';
import { type IssuedCertificate, issueCertificate } from './issue-certificate.ts';
import {
  type CertStatus,
  certIdMatchesIssuer,
  createOcspResponse,
  maxCertIdsPerRequest,
  OcspRequestError,
  ocspErrorResponse,
  parseOcspRequest,
} from './ocsp.ts';

// openssl is used here only, as an outside client of the responder; the CA never runs it.
const openssl = '/usr/bin/openssl';
const dir = mkdtempSync(join(tmpdir(), 'ra-ocsp-'));
// The real clock: openssl checks a response's thisUpdate/nextUpdate against it, not -attime.
const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

function pem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
let fileCount = 0;
function file(contents: string | Uint8Array, ext = 'pem'): string {
  const path = join(dir, `${++fileCount}.${ext}`);
  writeFileSync(path, contents);
  return path;
}
function run(args: string[]) {
  const result = spawnSync(openssl, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
/** "Nov  3 09:00:00 2026 GMT", as openssl prints times. */
function opensslDate(date: Date): string {
  const month = date.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' }).slice(0, 3);
  const day = String(date.getUTCDate()).padStart(2, ' ');
  return `${month} ${day} ${date.toISOString().slice(11, 19)} ${date.getUTCFullYear()} GMT`;
}
const attime = () => String(Math.floor(now.getTime() / 1000) + 60);

async function leafOf(authorities: CertificateAuthorities): Promise<IssuedCertificate> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  return issueCertificate({
    issuingCa: authorities.issuing,
    subjectPublicKeyInfo: Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey)),
    holder: {
      name: 'Test Holder',
      uuid: '100000000001',
      upn: 'h@example.test',
      email: 'h@example.test',
    },
    profile: 'authentication',
    baseUrl: 'https://ra.example.test',
    now,
  });
}
/** openssl builds the request, as a relying party would. */
function opensslRequest(issuing: Uint8Array, leaf: Uint8Array, extra: string[] = ['-no_nonce']) {
  const out = join(dir, `${++fileCount}.req`);
  // Options such as -sha256 apply to the -cert after them.
  const made = run([
    'ocsp',
    ...extra,
    '-issuer',
    file(pem(issuing)),
    '-cert',
    file(pem(leaf)),
    '-reqout',
    out,
  ]);
  expect(made.status).toBe(0);
  return readFileSync(out);
}
async function answer(request: Buffer, status: CertStatus) {
  const parsed = parseOcspRequest(request);
  return createOcspResponse({
    issuingCa: cas.issuing,
    responses: parsed.certIds.map((certId) => ({ certId, status })),
    producedAt: now,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 3_600_000),
    nonce: parsed.nonce,
  });
}
function opensslCheck(response: Buffer, leaf: Uint8Array, extra: string[] = []) {
  return run([
    'ocsp',
    '-respin',
    file(response, 'der'),
    '-issuer',
    file(pem(cas.issuing.certificate)),
    '-cert',
    file(pem(leaf)),
    '-CAfile',
    file(pem(cas.root.certificate) + pem(cas.issuing.certificate)),
    '-attime',
    attime(),
    '-resp_text',
    ...extra,
  ]);
}

let cas: CertificateAuthorities;
let others: CertificateAuthorities;
let leaf: IssuedCertificate;
let foreignLeaf: IssuedCertificate;
beforeAll(async () => {
  [cas, others] = await Promise.all([
    createCertificateAuthorities({ organisation: 'Royal Wessex Group', now }),
    createCertificateAuthorities({ organisation: 'Another Trust', now }),
  ]);
  [leaf, foreignLeaf] = await Promise.all([leafOf(cas), leafOf(others)]);
});

describe('parseOcspRequest', () => {
  it('reads the CertID openssl sends: SHA-1 hashes of our issuing CA and the leaf serial', () => {
    const parsed = parseOcspRequest(opensslRequest(cas.issuing.certificate, leaf.certificate));
    expect(parsed.nonce).toBeNull();
    expect(parsed.certIds).toHaveLength(1);
    const [certId] = parsed.certIds;
    expect(certId?.hashAlgorithm).toBe('SHA-1');
    expect(certId?.serialNumber).toBe(leaf.serialNumber);
    expect(certId?.issuerNameHash).toMatch(/^[0-9a-f]{40}$/);
    expect(certIdMatchesIssuer(certId as never, cas.issuing)).toBe(true);
  });

  it('matches our issuer under SHA-256 too, and never another CA’s', () => {
    const sha256 = parseOcspRequest(
      opensslRequest(cas.issuing.certificate, leaf.certificate, ['-no_nonce', '-sha256']),
    ).certIds[0];
    expect(sha256?.hashAlgorithm).toBe('SHA-256');
    expect(certIdMatchesIssuer(sha256 as never, cas.issuing)).toBe(true);
    expect(certIdMatchesIssuer(sha256 as never, others.issuing)).toBe(false);

    const foreign = parseOcspRequest(
      opensslRequest(others.issuing.certificate, foreignLeaf.certificate),
    ).certIds[0];
    expect(certIdMatchesIssuer(foreign as never, cas.issuing)).toBe(false);
    expect(certIdMatchesIssuer(foreign as never, others.issuing)).toBe(true);
  });

  it('refuses random bytes, truncated DER and other DER with OcspRequestError', () => {
    const good = opensslRequest(cas.issuing.certificate, leaf.certificate);
    expect(() => parseOcspRequest(randomBytes(64))).toThrow(OcspRequestError);
    expect(() => parseOcspRequest(good.subarray(0, good.length - 5))).toThrow(OcspRequestError);
    expect(() => parseOcspRequest(Buffer.alloc(0))).toThrow(OcspRequestError);
    expect(() => parseOcspRequest(Buffer.concat([good, Buffer.from([0])]))).toThrow(
      OcspRequestError,
    );
    // Well-formed DER that is not an OCSP request: a certificate.
    expect(() => parseOcspRequest(leaf.certificate)).toThrow(OcspRequestError);
  });

  it(`refuses a request asking about more than ${maxCertIdsPerRequest} certificates, before pkijs reads them`, () => {
    const asking = (n: number) => {
      const [certId] = parseOcspRequest(
        opensslRequest(cas.issuing.certificate, leaf.certificate),
      ).certIds;
      const request = new pkijs.OCSPRequest();
      request.tbsRequest.requestList = Array.from(
        { length: n },
        () =>
          new pkijs.Request({
            reqCert: new pkijs.CertID({
              schema: asn1js.fromBER(new Uint8Array(certId?.der ?? [])).result,
            }),
          }),
      );
      return new Uint8Array(request.toSchema(true).toBER(false));
    };
    expect(parseOcspRequest(asking(maxCertIdsPerRequest)).certIds).toHaveLength(
      maxCertIdsPerRequest,
    );
    expect(() => parseOcspRequest(asking(maxCertIdsPerRequest + 1))).toThrow(
      `more than ${maxCertIdsPerRequest} certificates`,
    );
  });
});

describe('createOcspResponse', () => {
  it('answers good, then revoked with its reason, then unknown, as openssl reads them', async () => {
    const request = opensslRequest(cas.issuing.certificate, leaf.certificate);

    const good = opensslCheck(await answer(request, { kind: 'good' }), leaf.certificate);
    expect(good.output).toMatch(/Response verify OK/);
    expect(good.output).toMatch(/OCSP Response Status: successful \(0x0\)/);
    expect(good.output).toMatch(/Response Type: Basic OCSP Response/);
    expect(good.output).toMatch(/Responder Id: [0-9A-F]{40}/);
    expect(good.output).toMatch(/\.pem: good\n/);
    expect(good.output).not.toMatch(/Status times invalid/);
    expect(good.output).toContain(`This Update: ${opensslDate(now)}`);
    expect(good.output).toContain(
      `Next Update: ${opensslDate(new Date(now.getTime() + 3_600_000))}`,
    );
    expect(good.output).toContain('ecdsa-with-SHA384');
    // The issuing CA's certificate rides along, so a client that trusts only the root can check it.
    expect(good.output).toMatch(
      /Subject: C=GB, O=Royal Wessex Group, CN=Royal Wessex Group Issuing CA/,
    );
    expect(good.status).toBe(0);

    const revoked = opensslCheck(
      await answer(request, {
        kind: 'revoked',
        revokedAt: new Date(now.getTime() - 1_800_000),
        reason: 'keyCompromise',
      }),
      leaf.certificate,
    );
    expect(revoked.output).toMatch(/Response verify OK/);
    expect(revoked.output).toMatch(/\.pem: revoked\n/);
    expect(revoked.output).toMatch(/Reason: keyCompromise/);
    expect(revoked.output).toContain(
      `Revocation Time: ${opensslDate(new Date(now.getTime() - 1_800_000))}`,
    );

    const held = opensslCheck(
      await answer(request, { kind: 'revoked', revokedAt: now, reason: 'certificateHold' }),
      leaf.certificate,
    );
    expect(held.output).toMatch(/Reason: certificateHold/);

    const unknown = opensslCheck(await answer(request, { kind: 'unknown' }), leaf.certificate);
    expect(unknown.output).toMatch(/Response verify OK/);
    expect(unknown.output).toMatch(/\.pem: unknown\n/);
  });

  it('echoes the nonce of a request that carries one, and answers SHA-256 CertIDs', async () => {
    const request = opensslRequest(cas.issuing.certificate, leaf.certificate, [
      '-nonce',
      '-sha256',
    ]);
    const parsed = parseOcspRequest(request);
    expect(parsed.nonce).not.toBeNull();
    const response = await answer(request, { kind: 'good' });
    // With -reqin openssl compares the response's nonce with the request's.
    const checked = run([
      'ocsp',
      '-reqin',
      file(request, 'der'),
      '-respin',
      file(response, 'der'),
      '-CAfile',
      file(pem(cas.root.certificate)),
      '-attime',
      attime(),
      '-resp_text',
    ]);
    expect(checked.output).toMatch(/Response verify OK/);
    expect(checked.output).not.toMatch(/WARNING: no nonce|nonce verify error/i);
    expect(checked.output).toMatch(/OCSP Nonce/);
    expect(checked.output).toMatch(/Hash Algorithm: sha256/);
    expect(checked.output).toMatch(/Cert Status: good/);
  });

  it('is refused by openssl when it does not trust the signer', async () => {
    const request = opensslRequest(cas.issuing.certificate, leaf.certificate);
    const response = await answer(request, { kind: 'good' });
    const checked = run([
      'ocsp',
      '-respin',
      file(response, 'der'),
      '-CAfile',
      file(pem(others.root.certificate)),
      '-attime',
      attime(),
    ]);
    expect(checked.output).toMatch(/Response Verify Failure/);
  });
});

describe('ocspErrorResponse', () => {
  it('says malformedRequest, internalError or unauthorized without any response bytes', () => {
    for (const [status, shown] of [
      ['malformedRequest', 'malformedrequest (1)'],
      ['internalError', 'internalerror (2)'],
      ['unauthorized', 'unauthorized (6)'],
    ] as const) {
      const result = run([
        'ocsp',
        '-respin',
        file(ocspErrorResponse(status), 'der'),
        '-resp_text',
        '-noverify',
      ]);
      expect(result.output).toContain(`Responder Error: ${shown}`);
      expect(result.output).not.toContain('Response Type');
    }
  });
});
