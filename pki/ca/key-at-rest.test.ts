import { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthorities } from './create-ca.ts';
import {
  decryptPrivateKey,
  EncryptedKeyError,
  encryptPrivateKey,
  WrongPassphraseError,
} from './key-at-rest.ts';

const passphrase = 'correct horse battery staple';
let pkcs8: Buffer;
let stored: Buffer;
beforeAll(async () => {
  const cas = await createCertificateAuthorities({ organisation: 'Test Trust' });
  pkcs8 = cas.issuing.privateKey;
  stored = await encryptPrivateKey(pkcs8, passphrase);
});

function edit(change: (blob: Record<string, Record<string, unknown> | unknown>) => void): Buffer {
  const blob = JSON.parse(stored.toString('utf8'));
  change(blob);
  return Buffer.from(JSON.stringify(blob));
}

describe('CA private key at rest', () => {
  it('decrypts with the passphrase it was encrypted under to the same PKCS#8 key, which still signs', async () => {
    const opened = await decryptPrivateKey(stored, passphrase);
    expect(opened.equals(pkcs8)).toBe(true);
    const key = await webcrypto.subtle.importKey(
      'pkcs8',
      opened,
      { name: 'ECDSA', namedCurve: 'P-384' },
      false,
      ['sign'],
    );
    const signature = await webcrypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-384' },
      key,
      Buffer.from('x'),
    );
    expect(signature.byteLength).toBe(96);
  });

  it('stores a versioned scrypt + AES-256-GCM document with a random salt and IV each time', async () => {
    const blob = JSON.parse(stored.toString('utf8'));
    expect(blob).toMatchObject({
      format: 'smartcard-ra-encrypted-key',
      version: 1,
      kdf: { name: 'scrypt', N: 131072, r: 8, p: 1 },
      cipher: { name: 'aes-256-gcm' },
    });
    const again = JSON.parse((await encryptPrivateKey(pkcs8, passphrase)).toString('utf8'));
    expect(again.kdf.salt).not.toBe(blob.kdf.salt);
    expect(again.cipher.iv).not.toBe(blob.cipher.iv);
    expect(again.ciphertext).not.toBe(blob.ciphertext);
  });

  it('does not contain the key in any plain encoding', () => {
    const text = stored.toString('utf8');
    expect(stored.includes(pkcs8)).toBe(false);
    expect(text).not.toContain(pkcs8.toString('base64'));
    expect(text).not.toContain(pkcs8.toString('hex'));
    // Nor the tail (the private scalar and public point), in case of a shifted encoding.
    expect(text).not.toContain(pkcs8.subarray(-48).toString('base64'));
    expect(text).not.toContain(passphrase);
  });

  it('refuses a wrong passphrase with WrongPassphraseError, whose message says so and never repeats it', async () => {
    const wrong = 'correct horse battery stapler';
    const error = await decryptPrivateKey(stored, wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongPassphraseError);
    expect((error as Error).message).toMatch(/passphrase is wrong/);
    expect((error as Error).message).not.toContain(wrong);
    expect((error as Error).message).not.toContain(passphrase);
  });

  it('refuses altered ciphertext, tag, IV or parameters as altered, not as a wrong passphrase', async () => {
    const flipped = edit((blob) => {
      const bytes = Buffer.from(blob.ciphertext as string, 'base64');
      bytes[10] = (bytes[10] ?? 0) ^ 0x01;
      blob.ciphertext = bytes.toString('base64');
    });
    await expect(decryptPrivateKey(flipped, passphrase)).rejects.toThrow(EncryptedKeyError);
    await expect(decryptPrivateKey(flipped, passphrase)).rejects.toThrow(/altered or damaged/);

    const otherIv = edit((blob) => {
      (blob.cipher as Record<string, unknown>).iv = Buffer.alloc(12).toString('base64');
    });
    await expect(decryptPrivateKey(otherIv, passphrase)).rejects.toThrow(EncryptedKeyError);

    const otherTag = edit((blob) => {
      (blob.cipher as Record<string, unknown>).tag = Buffer.alloc(16).toString('base64');
    });
    await expect(decryptPrivateKey(otherTag, passphrase)).rejects.toThrow(EncryptedKeyError);
  });

  it('refuses what is not an encrypted key, an unknown version, and key-derivation costs past the limit', async () => {
    await expect(decryptPrivateKey('not json', passphrase)).rejects.toThrow(EncryptedKeyError);
    await expect(decryptPrivateKey(pkcs8, passphrase)).rejects.toThrow(EncryptedKeyError);
    const v2 = edit((blob) => {
      blob.version = 2;
    });
    await expect(decryptPrivateKey(v2, passphrase)).rejects.toThrow(/version 2 is not known/);
    const huge = edit((blob) => {
      (blob.kdf as Record<string, unknown>).N = 2 ** 24;
    });
    await expect(decryptPrivateKey(huge, passphrase)).rejects.toThrow(
      /parameters we do not accept/,
    );
  });

  it('refuses to encrypt under an empty passphrase', async () => {
    await expect(encryptPrivateKey(pkcs8, '')).rejects.toThrow(/must not be empty/);
  });
});
