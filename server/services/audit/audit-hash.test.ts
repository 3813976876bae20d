import { describe, expect, it } from 'vitest';
import { auditHash, canonicalJson, genesisHash } from './audit-hash.ts';

const content = {
  occurredAt: new Date('2026-01-02T03:04:05.678Z'),
  actorAccountId: null,
  actorUsername: 'manager',
  action: 'auth.login',
  subjectType: 'account',
  subjectId: 'a1',
  summary: { b: 1, a: { d: [1, 2], c: 'x' } },
  requestId: 'r1',
  address: '127.0.0.1',
};

describe('canonicalJson', () => {
  it('sorts keys at every depth, so jsonb reordering does not change the hash', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });
  it('keeps array order', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
  });
});

describe('auditHash', () => {
  it('is a SHA-256 hex digest that depends on the previous hash', () => {
    const h = auditHash(genesisHash, content);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(auditHash('f'.repeat(64), content)).not.toBe(h);
  });
  it('changes when any covered field changes', () => {
    const h = auditHash(genesisHash, content);
    expect(auditHash(genesisHash, { ...content, action: 'auth.logout' })).not.toBe(h);
    expect(auditHash(genesisHash, { ...content, summary: { b: 2, a: {} } })).not.toBe(h);
    expect(
      auditHash(genesisHash, { ...content, occurredAt: new Date('2026-01-02T03:04:05.679Z') }),
    ).not.toBe(h);
  });
  it('does not change when summary keys arrive in another order', () => {
    const reordered = { ...content, summary: { a: { c: 'x', d: [1, 2] }, b: 1 } };
    expect(auditHash(genesisHash, reordered)).toBe(auditHash(genesisHash, content));
  });
});
