import { describe, expect, it } from 'vitest';
import { WrongPassphraseError } from './key-at-rest.ts';
import { openSealed, SealedSecretError, secretBox } from './secret-box.ts';

const passphrase = 'correct horse battery staple';
// Cheap parameters for the tests of the format; one test below uses the real ones.
const quick = { N: 2 ** 10, r: 8, p: 1 };
const key = Buffer.from('010203040506070801020304050607080102030405060708', 'hex');

/** One part of a sealed secret changed to `value`. */
function withPart(sealed: string, index: number, value: string): string {
  const parts = sealed.split('.');
  parts[index] = value;
  return parts.join('.');
}

/** The same bytes with the first one's bits flipped, base64url. */
const flipped = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  return bytes.toString('base64url');
};

describe('secret box', () => {
  it('opens what it sealed, under the same passphrase and context, and shows nothing of it', async () => {
    const box = await secretBox(passphrase, quick);
    const sealed = box.seal(key, 'card:ABC-1');
    expect(sealed).toMatch(/^sb1\.10\.8\.1(\.[A-Za-z0-9_-]+){5}$/);
    expect(sealed.toLowerCase()).not.toContain(key.toString('hex'));
    expect(sealed).not.toContain(key.toString('base64url'));
    expect((await openSealed(sealed, passphrase, 'card:ABC-1')).equals(key)).toBe(true);
  });

  it('seals the same secret differently each time (a fresh IV), with one salt per process', async () => {
    const box = await secretBox(passphrase, quick);
    const a = box.seal(key, 'card:1');
    const b = box.seal(key, 'card:1');
    expect(a).not.toBe(b);
    // log2 N, r, p, salt and check are the same; the IV and the rest differ.
    expect(a.split('.').slice(0, 6)).toEqual(b.split('.').slice(0, 6));
    expect(a.split('.')[6]).not.toBe(b.split('.')[6]);
    const again = await secretBox(passphrase, quick);
    expect(again.seal(key, 'card:1').split('.')[4]).toBe(a.split('.')[4]);
  });

  it('does not open for another context: a secret copied to another card stays shut', async () => {
    const sealed = (await secretBox(passphrase, quick)).seal(key, 'card:ONE');
    await expect(openSealed(sealed, passphrase, 'card:TWO')).rejects.toThrow(SealedSecretError);
  });

  it('says the passphrase is wrong, without naming it, rather than that the secret was altered', async () => {
    const sealed = (await secretBox(passphrase, quick)).seal(key, 'card:1');
    const failure = await openSealed(sealed, 'another passphrase entirely', 'card:1').catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(WrongPassphraseError);
    expect(String((failure as Error).message)).not.toContain('another passphrase');
  });

  it('refuses a secret whose ciphertext, IV or tag was changed', async () => {
    const sealed = (await secretBox(passphrase, quick)).seal(key, 'card:1');
    for (const index of [6, 7, 8]) {
      const changed = withPart(sealed, index, flipped(sealed.split('.')[index] ?? ''));
      await expect(openSealed(changed, passphrase, 'card:1')).rejects.toThrow(SealedSecretError);
    }
  });

  it('refuses what it did not write, and costly parameters, before deriving anything', async () => {
    const sealed = (await secretBox(passphrase, quick)).seal(key, 'card:1');
    const refused = [
      '',
      'not a sealed secret',
      sealed.replace(/^sb1/, 'sb9'),
      `${sealed}.extra`,
      withPart(sealed, 1, '30'),
      // 2^20 × 32 × 128 bytes would be 4 GiB of memory.
      withPart(withPart(sealed, 1, '20'), 2, '32'),
      withPart(sealed, 2, '0'),
      withPart(sealed, 3, '99'),
      withPart(sealed, 4, 'c2hvcnQ'),
      withPart(sealed, 6, 'a+b/'),
    ];
    for (const bad of refused) {
      const started = performance.now();
      await expect(openSealed(bad, passphrase, 'card:1'), bad).rejects.toThrow(SealedSecretError);
      expect(performance.now() - started).toBeLessThan(200);
    }
    await expect(secretBox('', quick)).rejects.toThrow(RangeError);
    await expect(secretBox(passphrase, { N: 1000, r: 8, p: 1 })).rejects.toThrow(RangeError);
  });

  it('pays for scrypt (N = 2^17) once: a thousand keys seal and open in well under a second after it', async () => {
    const first = performance.now();
    const box = await secretBox(passphrase);
    const derivation = performance.now() - first;
    const started = performance.now();
    const sealed = Array.from({ length: 1000 }, (_, i) => box.seal(key, `card:${i}`));
    const opened = await Promise.all(sealed.map((s, i) => openSealed(s, passphrase, `card:${i}`)));
    const thousand = performance.now() - started;
    expect(opened.every((o) => o.equals(key))).toBe(true);
    // One derivation costs hundreds of milliseconds; a thousand secrets cost less than that.
    expect(thousand).toBeLessThan(Math.max(derivation, 200));
    // A second box for the same passphrase derives nothing again.
    const second = performance.now();
    await secretBox(passphrase);
    expect(performance.now() - second).toBeLessThan(derivation / 4);
  }, 30_000);
});
