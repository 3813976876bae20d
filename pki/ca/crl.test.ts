import { spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthorities, createCertificateAuthorities } from './create-ca.ts';
import { CrlInputError, createCrl, type RevocationReason } from './crl.ts';
import { type IssuedCertificate, issueCertificate } from './issue-certificate.ts';

// openssl is used here only, as an outside judge of what pkijs encoded; the CA never runs it.
const openssl = '/usr/bin/openssl';
const dir = mkdtempSync(join(tmpdir(), 'ra-crl-'));
const now = new Date('2026-11-30T09:00:00Z');
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

function pem(der: Uint8Array, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
let fileCount = 0;
function write(der: Uint8Array, label = 'CERTIFICATE'): string {
  const path = join(dir, `${++fileCount}.pem`);
  writeFileSync(path, pem(der, label));
  return path;
}
function run(args: string[]) {
  const result = spawnSync(openssl, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
function verifyWithCrl(leaf: Uint8Array, crl: Buffer) {
  return run([
    'verify',
    '-crl_check',
    '-attime',
    String(Math.floor(later(5).getTime() / 1000)),
    '-CAfile',
    write(cas.root.certificate),
    '-untrusted',
    write(cas.issuing.certificate),
    '-CRLfile',
    write(crl, 'X509 CRL'),
    write(leaf),
  ]);
}
function crlText(crl: Buffer): string {
  return run(['crl', '-noout', '-text', '-in', write(crl, 'X509 CRL')]).output;
}

let cas: CertificateAuthorities;
const leaves: IssuedCertificate[] = [];
beforeAll(async () => {
  cas = await createCertificateAuthorities({ organisation: 'Royal Wessex Group', now });
  for (let i = 0; i < 5; i++) {
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    leaves.push(
      await issueCertificate({
        issuingCa: cas.issuing,
        subjectPublicKeyInfo: Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey)),
        holder: {
          name: 'Test Holder',
          uuid: `10000000000${i}`,
          upn: 'h@example.test',
          email: 'h@example.test',
        },
        profile: 'authentication',
        baseUrl: 'https://ra.example.test',
        now,
      }),
    );
  }
});

const base = () => ({
  issuingCa: cas.issuing,
  thisUpdate: now,
  nextUpdate: new Date(now.getTime() + 86_400_000),
});

describe('createCrl', () => {
  it('an empty CRL lets the leaf verify; one listing it makes openssl refuse it as revoked', async () => {
    const leaf = leaves[0] as IssuedCertificate;
    const empty = await createCrl({ ...base(), crlNumber: 1n, revoked: [] });
    const before = verifyWithCrl(leaf.certificate, empty);
    expect(before.output).toMatch(/: OK/);
    expect(before.status).toBe(0);

    const listing = await createCrl({
      ...base(),
      crlNumber: 2n,
      revoked: [{ serialNumber: leaf.serialNumber, revokedAt: now, reason: 'keyCompromise' }],
    });
    const after = verifyWithCrl(leaf.certificate, listing);
    expect(after.status).not.toBe(0);
    expect(after.output).toMatch(/certificate revoked/);
    // Another leaf not on the list still verifies against the same CRL.
    expect(verifyWithCrl((leaves[1] as IssuedCertificate).certificate, listing).status).toBe(0);
  });

  it('is a v2 CRL signed with ECDSA SHA-384, showing the CRL number, the AKI and each reason', async () => {
    const reasons: RevocationReason[] = [
      'keyCompromise',
      'affiliationChanged',
      'superseded',
      'cessationOfOperation',
      'certificateHold',
    ];
    const revoked = reasons.map((reason, i) => ({
      serialNumber: (leaves[i] as IssuedCertificate).serialNumber,
      revokedAt: new Date(now.getTime() + i * 1000),
      reason,
    }));
    const first = await createCrl({ ...base(), crlNumber: 41n, revoked });
    const shown = crlText(first);
    expect(shown).toContain('Version 2 (0x1)');
    expect(shown).toContain('ecdsa-with-SHA384');
    expect(shown).toContain(
      'Issuer: C = GB, O = Royal Wessex Group, CN = Royal Wessex Group Issuing CA',
    );
    expect(shown).toContain('Last Update: Nov 30 09:00:00 2026 GMT');
    expect(shown).toContain('Next Update: Dec  1 09:00:00 2026 GMT');
    expect(shown).toMatch(/X509v3 CRL Number:\s+41\n/);
    expect(shown).toMatch(/X509v3 Authority Key Identifier/);
    for (const [i, label] of [
      'Key Compromise',
      'Affiliation Changed',
      'Superseded',
      'Cessation Of Operation',
      'Certificate Hold',
    ].entries()) {
      const serial = (leaves[i] as IssuedCertificate).serialNumber.toUpperCase();
      expect(shown).toMatch(
        new RegExp(
          `Serial Number: ${serial}\\s+Revocation Date: .*\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+${label}`,
        ),
      );
    }
    // The issuing CA's signature checks out under openssl.
    const checked = run([
      'crl',
      '-noout',
      '-in',
      write(first, 'X509 CRL'),
      '-CAfile',
      write(cas.issuing.certificate),
    ]);
    expect(checked.output).toMatch(/verify OK/);

    const second = await createCrl({ ...base(), crlNumber: 42n, revoked });
    const number = (crl: Buffer) =>
      BigInt(
        run(['crl', '-noout', '-crlnumber', '-in', write(crl, 'X509 CRL')])
          .output.trim()
          .split('=')[1] ?? '',
      );
    expect(number(second)).toBeGreaterThan(number(first));
  });

  it('leaves a certificate released from hold off the next CRL, so it verifies again', async () => {
    const leaf = leaves[2] as IssuedCertificate;
    const held = await createCrl({
      ...base(),
      crlNumber: 50n,
      revoked: [{ serialNumber: leaf.serialNumber, revokedAt: now, reason: 'certificateHold' }],
    });
    expect(verifyWithCrl(leaf.certificate, held).output).toMatch(/certificate revoked/);
    const released = await createCrl({ ...base(), crlNumber: 51n, revoked: [] });
    expect(verifyWithCrl(leaf.certificate, released).status).toBe(0);
  });

  it('refuses input that cannot make a valid CRL', async () => {
    await expect(createCrl({ ...base(), crlNumber: -1n, revoked: [] })).rejects.toThrow(
      CrlInputError,
    );
    await expect(createCrl({ ...base(), crlNumber: 2n ** 159n, revoked: [] })).rejects.toThrow(
      /2\^159/,
    );
    await expect(
      createCrl({ ...base(), nextUpdate: now, crlNumber: 1n, revoked: [] }),
    ).rejects.toThrow(/nextUpdate must be after thisUpdate/);
    await expect(
      createCrl({
        ...base(),
        crlNumber: 1n,
        revoked: [{ serialNumber: 'xyz', revokedAt: now, reason: 'superseded' }],
      }),
    ).rejects.toThrow(/must be 1 to 20 bytes of hex/);
    const serial = (leaves[0] as IssuedCertificate).serialNumber;
    await expect(
      createCrl({
        ...base(),
        crlNumber: 1n,
        revoked: [
          { serialNumber: serial, revokedAt: now, reason: 'superseded' },
          { serialNumber: serial.toUpperCase(), revokedAt: now, reason: 'keyCompromise' },
        ],
      }),
    ).rejects.toThrow(/listed twice/);
  });
});
