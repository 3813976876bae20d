import { describe, expect, it } from 'vitest';
import {
  decryptPrivateKey,
  encryptPrivateKey,
  passphraseScrypt,
  WrongPassphraseError,
} from '../../../pki/ca/key-at-rest.ts';
import { openSealed, secretBox } from '../../../pki/ca/secret-box.ts';
import { caKeyScrypt, testCaKeyScrypt } from './ca-key-scrypt.ts';

const passphrase = 'test-ca-passphrase-0123456789';
const secret = Buffer.from('a private key, as far as this test is concerned');

describe('scrypt parameters of the CA key passphrase', () => {
  it('are 128 MiB (N = 2^17, r = 8) in a running server', () => {
    expect(passphraseScrypt).toEqual({ N: 131_072, r: 8, p: 1 });
    expect(128 * passphraseScrypt.N * passphraseScrypt.r).toBe(128 * 1024 * 1024);
  });

  it('are the cheap ones in this test run, and a key encrypted under them opens only with its passphrase', async () => {
    expect(caKeyScrypt()).toEqual(testCaKeyScrypt);
    const stored = await encryptPrivateKey(secret, passphrase, caKeyScrypt());
    expect(JSON.parse(stored.toString('utf8')).kdf).toMatchObject({ name: 'scrypt', N: 1024 });
    expect((await decryptPrivateKey(stored, passphrase)).equals(secret)).toBe(true);
    await expect(decryptPrivateKey(stored, `${passphrase}x`)).rejects.toThrow(WrongPassphraseError);
  });

  it('seal card keys that open only with the passphrase and the same card', async () => {
    const sealed = (await secretBox(passphrase, caKeyScrypt())).seal(secret, 'card:1');
    expect(sealed).toMatch(/^sb1\.10\.8\.1\./);
    expect((await openSealed(sealed, passphrase, 'card:1')).equals(secret)).toBe(true);
    await expect(openSealed(sealed, `${passphrase}x`, 'card:1')).rejects.toThrow(
      WrongPassphraseError,
    );
    await expect(openSealed(sealed, passphrase, 'card:2')).rejects.toThrow(/integrity/);
  });
});
