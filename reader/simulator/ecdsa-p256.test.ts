import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signDigest } from './ecdsa-p256.ts';

describe('raw-digest ECDSA P-256', () => {
  it('makes signatures that Node verifies over the message', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
    const message = Buffer.from('sign me, card');
    const digest = createHash('sha256').update(message).digest();
    const signature = signDigest(d, digest);
    expect(verify('sha256', message, createPublicKey(privateKey), signature)).toBe(true);
    expect(verify('sha256', Buffer.from('other'), createPublicKey(privateKey), signature)).toBe(
      false,
    );
  });
});
