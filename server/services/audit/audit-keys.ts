import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';

/**
 * The keys of the audit trail, all derived from one secret that is never stored in the
 * database: the chain's HMAC key, and an Ed25519 key that signs checkpoints (its public
 * half is published, so a monitor outside can check them).
 */
export interface AuditKeys {
  /** HMAC-SHA-256 key of the version-2 chain. */
  chainKey: KeyObject;
  signingKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as SPKI PEM, for monitors. */
  publicKeyPem: string;
  /** First 16 hex digits of SHA-256 over the public key (SPKI DER): names the key. */
  keyId: string;
  /**
   * How many early unkeyed (version-1) events this deployment accepts at the start of its
   * trail (AUDIT_UNKEYED_EVENTS). From configuration, never from the database: a database
   * superuser could otherwise relabel the whole trail as unkeyed and recompute it.
   */
  unkeyedEvents: number;
}

const salt = Buffer.from('smartcard-ra audit trail');
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
const ed25519Pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Separate subkeys from one secret (HKDF-SHA-256), so the HMAC key never signs. */
export function deriveAuditKeys(secret: string, unkeyedEvents = 0): AuditKeys {
  if (secret.length < 32) throw new Error('the audit key must be at least 32 characters');
  if (!Number.isSafeInteger(unkeyedEvents) || unkeyedEvents < 0) {
    throw new Error('the accepted unkeyed event count must be a whole number, 0 or more');
  }
  const ikm = Buffer.from(secret, 'utf8');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
  const chainKey = createSecretKey(derive('audit chain hmac v2'));
  const seed = derive('audit checkpoint ed25519 seed v1');
  const signingKey = createPrivateKey({
    key: Buffer.concat([ed25519Pkcs8Prefix, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(signingKey);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    chainKey,
    signingKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    unkeyedEvents,
  };
}
