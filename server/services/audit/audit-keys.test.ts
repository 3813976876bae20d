import { sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { genesisHash, keyedAuditHash } from './audit-hash.ts';
import { deriveAuditKeys } from './audit-keys.ts';

const content = {
  occurredAt: new Date('2026-01-02T03:04:05.678Z'),
  actorAccountId: null,
  actorUsername: 'manager',
  actorWorkstationId: null,
  action: 'auth.login',
  subjectType: 'account',
  subjectId: 'a1',
  summary: { a: 1 },
  requestId: 'r1',
  address: '127.0.0.1',
};

describe('deriveAuditKeys', () => {
  const keys = deriveAuditKeys('one-audit-secret-0123456789abcdef-xyz');
  it('derives the same keys from the same secret, so every process agrees', () => {
    const again = deriveAuditKeys('one-audit-secret-0123456789abcdef-xyz');
    expect(again.keyId).toBe(keys.keyId);
    expect(keyedAuditHash(again.chainKey, genesisHash, content)).toBe(
      keyedAuditHash(keys.chainKey, genesisHash, content),
    );
  });
  it('gives another secret other keys', () => {
    const other = deriveAuditKeys('another-audit-secret-0123456789abcdef');
    expect(other.keyId).not.toBe(keys.keyId);
    expect(keyedAuditHash(other.chainKey, genesisHash, content)).not.toBe(
      keyedAuditHash(keys.chainKey, genesisHash, content),
    );
  });
  it('signs with a key whose public half checks it', () => {
    const signature = sign(null, Buffer.from('x'), keys.signingKey);
    expect(verify(null, Buffer.from('x'), keys.publicKey, signature)).toBe(true);
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
  it('covers the acting workstation in the keyed hash', () => {
    expect(
      keyedAuditHash(keys.chainKey, genesisHash, {
        ...content,
        actorWorkstationId: '00000000-0000-4000-8000-000000000001',
      }),
    ).not.toBe(keyedAuditHash(keys.chainKey, genesisHash, content));
  });
  it('refuses a short secret', () => {
    expect(() => deriveAuditKeys('short')).toThrow(/32/);
  });
});
