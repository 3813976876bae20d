import { spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/audit.ts';
import { certificateAuthorities } from '../../db/schema/pki.ts';
import { issueCertificate } from '../../pki/ca/issue-certificate.ts';
import { ocspErrorResponse } from '../../pki/ca/ocsp.ts';
import { ConfigError } from '../../server/config.ts';
import { ConflictError } from '../../server/errors.ts';
import {
  initCertificateAuthority,
  loadCertificateAuthority,
} from '../../server/services/pki/certificate-authority.ts';
import { testDrivers } from '../support/databases.ts';
import { runProgram } from '../support/program-runner.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// openssl is an outside client here, as a relying party would be; the server never runs it.
const openssl = '/usr/bin/openssl';
const dir = mkdtempSync(join(tmpdir(), 'ra-pki-'));
let fileCount = 0;
function file(contents: string | Uint8Array, ext = 'pem'): string {
  const path = join(dir, `${++fileCount}.${ext}`);
  writeFileSync(path, contents);
  return path;
}
/** Runs openssl to its end (started by a small helper: test/support/program-runner.ts). */
async function run(args: string[]) {
  const result = await runProgram(openssl, args);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
function pem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
async function bytes(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

const passphrase = 'correct horse battery staple for the test CA';

describe.each(testDrivers)('the certificate authority and its publications (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    // openssl judges OCSP and CRL times by the real clock.
    t.clock.advance(Date.now() - 60_000 - t.clock.now().getTime());
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 404 with a clear JSON error on every publication while no CA exists', async () => {
    for (const [path, init] of [
      ['/pki/root.crt', {}],
      ['/pki/issuing.crt', {}],
      ['/pki/issuing.crl', {}],
      ['/pki/ocsp', { method: 'POST', body: new Uint8Array([0x30, 0x00]) }],
      ['/pki/ocsp/MAA%3D', {}],
    ] as const) {
      const res = await t.app.request(path, init);
      expect(res.status, path).toBe(404);
      const body = await res.json();
      expect(body.error.code, path).toBe('NOT_FOUND');
      expect(body.error.message, path).toMatch(/npm run ca -- init/);
    }
    expect(await loadCertificateAuthority(t.ctx, passphrase)).toBeNull();
  });

  let root: Buffer;
  let issuing: Buffer;
  it('creates the root and issuing CAs once, audited, and refuses a second time', async () => {
    const made = await initCertificateAuthority(t.ctx, {
      passphrase,
      organisation: 'Royal Wessex Group',
    });
    expect(made.map((m) => m.name)).toEqual(['root', 'issuing']);
    expect(made[0]?.subject).toBe('C=GB, O=Royal Wessex Group, CN=Royal Wessex Group Root CA');
    expect(made[1]?.sha256Fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const events = await t.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'pki.ca_created'));
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]?.summary)).not.toContain(passphrase);
    expect(JSON.stringify(events[0]?.summary)).not.toMatch(/PRIVATE|ciphertext/);
    await expect(
      initCertificateAuthority(t.ctx, { passphrase, organisation: 'Another' }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('publishes both CA certificates as DER that openssl reads', async () => {
    const rootRes = await t.app.request('/pki/root.crt');
    expect(rootRes.status).toBe(200);
    expect(rootRes.headers.get('content-type')).toBe('application/pkix-cert');
    root = await bytes(rootRes);
    const rootText = await run([
      'x509',
      '-inform',
      'DER',
      '-in',
      file(root, 'der'),
      '-noout',
      '-subject',
    ]);
    expect(rootText.status).toBe(0);
    expect(rootText.output).toMatch(/CN\s*=\s*Royal Wessex Group Root CA/);

    const issuingRes = await t.app.request('/pki/issuing.crt');
    expect(issuingRes.headers.get('content-type')).toBe('application/pkix-cert');
    issuing = await bytes(issuingRes);
    const chain = await run([
      'verify',
      '-CAfile',
      file(pem(root)),
      '-attime',
      String(Math.floor(t.clock.now().getTime() / 1000) + 60),
      file(pem(issuing)),
    ]);
    expect(chain.output).toMatch(/OK/);
  });

  it('publishes the first CRL, number 1, empty, signed by the issuing CA', async () => {
    const res = await t.app.request('/pki/issuing.crl');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pkix-crl');
    const crl = await bytes(res);
    const text = await run([
      'crl',
      '-inform',
      'DER',
      '-in',
      file(crl, 'der'),
      '-text',
      '-noout',
      '-CAfile',
      file(pem(issuing)),
    ]);
    expect(text.status).toBe(0);
    expect(text.output).toMatch(/X509v3 CRL Number:\s*\n\s*1\b/);
    expect(text.output).toMatch(/No Revoked Certificates/);
    expect(text.output).toMatch(/verify OK/);
  });

  async function leaf() {
    const ca = await loadCertificateAuthority(t.ctx, passphrase);
    if (!ca) throw new Error('no CA');
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    return issueCertificate({
      issuingCa: ca.issuing,
      subjectPublicKeyInfo: Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey)),
      holder: {
        name: 'Test Holder',
        uuid: '100000000001',
        upn: 'h@example.test',
        email: 'h@example.test',
      },
      profile: 'authentication',
      baseUrl: 'https://ra.example.test',
      now: t.clock.now(),
    });
  }
  async function opensslRequest(cert: Uint8Array) {
    const out = join(dir, `${++fileCount}.req`);
    requestFile = out;
    const made = await run([
      'ocsp',
      '-issuer',
      file(pem(issuing)),
      '-cert',
      file(pem(cert)),
      '-reqout',
      out,
    ]);
    expect(made.status).toBe(0);
    return readFileSync(out);
  }
  let requestFile = '';
  /** openssl checks the signature, the chain, and that the answer echoes the request's nonce. */
  async function opensslCheck(response: Buffer) {
    return run([
      'ocsp',
      '-reqin',
      requestFile,
      '-respin',
      file(response, 'der'),
      '-CAfile',
      file(pem(root) + pem(issuing)),
      '-resp_text',
    ]);
  }

  it('answers an OCSP POST with no login and no CSRF token: unknown, signed, nonce echoed', async () => {
    const cert = await leaf();
    const request = await opensslRequest(cert.certificate);
    // A signed-in browser's cookie without the CSRF token changes nothing: this endpoint is
    // a public protocol, outside the API's CSRF check, and changes no state.
    const who = await t.login('manager');
    for (const headers of <Record<string, string>[]>[
      { 'content-type': 'application/ocsp-request' },
      { 'content-type': 'application/ocsp-request', cookie: who.cookie },
    ]) {
      const res = await t.app.request('/pki/ocsp', {
        method: 'POST',
        headers,
        body: new Uint8Array(request),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/ocsp-response');
      const checked = await opensslCheck(await bytes(res));
      expect(checked.output).toMatch(/Response verify OK/);
      expect(checked.output).toMatch(/: unknown/);
      expect(checked.output).not.toMatch(/WARNING: no nonce|nonce verify error/i);
      expect(checked.output).toMatch(/OCSP Nonce/);
      expect(checked.output).toContain(`Serial Number: ${cert.serialNumber.toUpperCase()}`);
    }
  });

  it('answers an OCSP GET with the request as URL-encoded base64', async () => {
    const cert = await leaf();
    const request = await opensslRequest(cert.certificate);
    const res = await t.app.request(`/pki/ocsp/${encodeURIComponent(request.toString('base64'))}`);
    expect(res.status).toBe(200);
    const checked = await opensslCheck(await bytes(res));
    expect(checked.output).toMatch(/Response verify OK/);
    expect(checked.output).toMatch(/: unknown/);
  });

  it('answers a malformed OCSP request with malformedRequest (HTTP 200), by POST and GET', async () => {
    const malformed = ocspErrorResponse('malformedRequest');
    for (const res of [
      await t.app.request('/pki/ocsp', {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request' },
        body: new Uint8Array([0x30, 0x03, 0x02, 0x01]),
      }),
      await t.app.request('/pki/ocsp', { method: 'POST', body: '{}' }),
      await t.app.request('/pki/ocsp/not*base64'),
      await t.app.request('/pki/ocsp/AAAA'),
      await t.app.request('/pki/ocsp/%'),
      await t.app.request('/pki/ocsp/%ED%A0%80'),
      // Base64's '/' arrives URL-encoded and must not split the path.
      await t.app.request(`/pki/ocsp/${encodeURIComponent('//8=')}`),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/ocsp-response');
      expect(await bytes(res)).toEqual(malformed);
    }
  });

  it('keeps the CRL number growing: the database refuses to publish one with a lower number', async () => {
    const [row] = await t.db
      .select()
      .from(certificateAuthorities)
      .where(eq(certificateAuthorities.name, 'issuing'));
    await expect(
      t.db
        .update(certificateAuthorities)
        .set({ crlNumber: 1n, crl: Buffer.from([0x30, 0x00]) })
        .where(eq(certificateAuthorities.name, 'issuing')),
    ).rejects.toThrow();
    const [after] = await t.db
      .select()
      .from(certificateAuthorities)
      .where(eq(certificateAuthorities.name, 'issuing'));
    expect(after?.crl).toEqual(row?.crl);
    expect(after?.crlNumber).toBe(1n);
  });

  it('refuses a wrong passphrase clearly, without repeating it', async () => {
    const wrong = 'not the passphrase, never to be printed';
    const failure = await loadCertificateAuthority(t.ctx, wrong).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/CA_KEY_PASSPHRASE: does not decrypt/);
    expect((failure as Error).message).not.toContain(wrong);
    const missing = await loadCertificateAuthority(t.ctx, undefined).catch((err: unknown) => err);
    expect((missing as Error).message).toMatch(/CA_KEY_PASSPHRASE: required/);
  });

  it('lists the publications in the OpenAPI document with their binary types', async () => {
    const doc = await (await t.app.request('/api/openapi.json')).json();
    expect(Object.keys(doc.paths['/pki/root.crt'].get.responses[200].content)).toEqual([
      'application/pkix-cert',
    ]);
    expect(Object.keys(doc.paths['/pki/issuing.crl'].get.responses[200].content)).toEqual([
      'application/pkix-crl',
    ]);
    expect(Object.keys(doc.paths['/pki/ocsp'].post.requestBody.content)).toEqual([
      'application/ocsp-request',
    ]);
    expect(doc.paths['/pki/ocsp/{request}'].get['x-access']).toBe('public');
  });
});

function withoutDatabaseUrl() {
  const { DATABASE_URL: _, DATABASE_OWNER_URL: __, ...env } = process.env;
  return env;
}

describe('npm run ca -- init', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ra-ca-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const cli = () =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', 'server/cli/ca.ts', 'init', '--organisation', 'Cli Trust'],
      {
        cwd: resolve(import.meta.dirname, '../..'),
        encoding: 'utf8',
        env: { ...withoutDatabaseUrl(), DATA_DIR: dataDir, CA_KEY_PASSPHRASE: passphrase },
      },
    );

  it('prints what it made, never the passphrase, and refuses a second time', () => {
    const first = cli();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Root CA\n\s+Subject:\s+C=GB, O=Cli Trust, CN=Cli Trust Root CA/);
    expect(first.stdout).toMatch(
      /Issuing CA\n\s+Subject:\s+C=GB, O=Cli Trust, CN=Cli Trust Issuing CA/,
    );
    expect(first.stdout).toMatch(/SHA-256:\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(first.stdout).toMatch(/Serial:\s+[0-9a-f]+/);
    expect(first.stdout).not.toContain(passphrase);
    expect(first.stdout).not.toMatch(/PRIVATE KEY|ciphertext/);
    const second = cli();
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/already has its certificate authority/);
  }, 120_000);
});
