import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from './program-runner.ts';
import type { TestApp } from './test-app.ts';

/** What a relying party learns of one certificate from the CRL and from OCSP. */
export interface PublishedStatus {
  /** The CRL's reason in openssl's words ("Key Compromise", "Certificate Hold"), or null: not listed. */
  crl: string | null;
  /** OCSP's answer, and the reason (RFC 5280 name) when revoked. */
  ocsp: { status: 'good' | 'revoked' | 'unknown'; reason: string | null };
}

function pem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Reads the deployment's published status as a relying party does, with the real openssl
 * CLI: the CRL from GET /pki/issuing.crl (signature checked against the issuing CA) and OCSP
 * answers from POST /pki/ocsp (signature and chain checked, nonce echoed). openssl judges
 * times by the real clock: the test's clock must be near it.
 */
export class RevocationReader {
  private readonly dir = mkdtempSync(join(tmpdir(), 'ra-revocation-'));
  private files = 0;
  private chain: { root: string; issuing: string; both: string } | null = null;

  constructor(private readonly t: TestApp) {}

  private file(contents: string | Uint8Array, ext: string): string {
    const path = join(this.dir, `${++this.files}.${ext}`);
    writeFileSync(path, contents);
    return path;
  }

  private async openssl(args: string[]): Promise<string> {
    const result = await runProgram('/usr/bin/openssl', args);
    const output = `${result.stdout}${result.stderr}`;
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${output}`);
    return output;
  }

  private async cas() {
    if (this.chain) return this.chain;
    const get = async (path: string) => {
      const res = await this.t.app.request(path);
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return pem(Buffer.from(await res.arrayBuffer()));
    };
    const root = await get('/pki/root.crt');
    const issuing = await get('/pki/issuing.crt');
    this.chain = {
      root: this.file(root, 'pem'),
      issuing: this.file(issuing, 'pem'),
      both: this.file(root + issuing, 'pem'),
    };
    return this.chain;
  }

  /** The published CRL: its number and each listed serial (lower-case hex) with its reason. */
  async crl(): Promise<{ number: bigint; listed: Map<string, string> }> {
    const { issuing } = await this.cas();
    const res = await this.t.app.request('/pki/issuing.crl');
    if (res.status !== 200) throw new Error(`/pki/issuing.crl: ${res.status}`);
    const text = await this.openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      this.file(Buffer.from(await res.arrayBuffer()), 'der'),
      '-text',
      '-noout',
      '-CAfile',
      issuing,
    ]);
    if (!/verify OK/.test(text)) throw new Error(`the CRL's signature did not verify:\n${text}`);
    const number = text.match(/X509v3 CRL Number:\s*\n\s*(\d+)/)?.[1];
    if (!number) throw new Error(`no CRL number in:\n${text}`);
    const listed = new Map<string, string>();
    const revoked = text.split('Revoked Certificates:')[1] ?? '';
    for (const block of revoked.split(/Serial Number:\s*/).slice(1)) {
      const serial = block.match(/^([0-9A-F]+)/)?.[1];
      const reason = block.match(/CRL Reason Code:\s*\n\s*([^\n]+)/)?.[1]?.trim();
      if (serial) listed.set(serial.toLowerCase(), reason ?? 'no reason');
    }
    return { number: BigInt(number), listed };
  }

  /** OCSP's answer for a certificate, from a request openssl builds and a response it checks. */
  async ocsp(certificate: Uint8Array): Promise<PublishedStatus['ocsp']> {
    const { issuing, both } = await this.cas();
    const requestFile = join(this.dir, `${++this.files}.req`);
    await this.openssl([
      'ocsp',
      '-issuer',
      issuing,
      '-cert',
      this.file(pem(certificate), 'pem'),
      '-reqout',
      requestFile,
    ]);
    const res = await this.t.app.request('/pki/ocsp', {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array(readFileSync(requestFile)),
    });
    if (res.status !== 200) throw new Error(`/pki/ocsp: ${res.status}`);
    const text = await this.openssl([
      'ocsp',
      '-reqin',
      requestFile,
      '-respin',
      this.file(Buffer.from(await res.arrayBuffer()), 'der'),
      '-CAfile',
      both,
      '-resp_text',
    ]);
    if (!/Response verify OK/.test(text)) throw new Error(`OCSP did not verify:\n${text}`);
    if (/WARNING: no nonce|nonce verify error/i.test(text)) throw new Error(`nonce:\n${text}`);
    const status = text.match(/Cert Status:\s*(good|revoked|unknown)/)?.[1];
    if (!status) throw new Error(`no OCSP status in:\n${text}`);
    const reason = text.match(/Revocation Reason:\s*(\w+)/)?.[1] ?? null;
    return { status: status as PublishedStatus['ocsp']['status'], reason };
  }

  close() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
