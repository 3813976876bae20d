import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blankProfile, loadProfile, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import { type Pcscd, slotName, startPcscd, testReader } from '../support/pcsc/pcscd.ts';
import { waitFor } from '../support/wait-for.ts';
import { tool } from './tools.ts';

const reader = slotName(0);
const piv = (...args: string[]) => tool('yubico-piv-tool', ['-r', reader, ...args]);
const newKey = '0f0e0d0c0b0a09080706050403020100aabbccddeeff0011';

/**
 * The simulator, proven by tools nobody here wrote: yubico-piv-tool and OpenSC, through
 * the real pcscd and vpcd.
 */
describe('the PIV card simulator, seen by OpenSC and yubico-piv-tool', () => {
  let pcscd: Pcscd;
  let dir: string;
  let profilePath: string;
  let card: SimulatedCard;

  beforeAll(async () => {
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'ra-cards-'));
    profilePath = join(dir, 'card.json');
    saveProfile(profilePath, blankProfile('00a1b2c3'));
    card = new SimulatedCard(profilePath, testReader.port);
    await card.insert();
    // pcscd notices a card within its ~0.4 s presence poll.
    await waitFor(
      async () => (await tool('opensc-tool', ['-l'])).out.includes('Yes'),
      'OpenSC to see the card in the reader',
    );
  }, 60_000);

  afterAll(async () => {
    await card?.remove();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports serial, CHUID and PIN tries to yubico-piv-tool -a status', async () => {
    const status = await piv('-a', 'status');
    expect(status.code, status.out).toBe(0);
    expect(status.out).toMatch(/Serial Number:\s+10597059/); // 0x00a1b2c3
    expect(status.out).toMatch(/CHUID:\s+3019d4e7/);
    expect(status.out).toMatch(/PIN tries left:\s+3/);
  });

  it('generates a key in a slot and imports a certificate into it', async () => {
    const pub = join(dir, 'pub.pem');
    const cert = join(dir, 'cert.pem');
    const generated = await piv('-a', 'generate', '-s', '9a', '-A', 'RSA2048', '-o', pub);
    expect(generated.code, generated.out).toBe(0);
    expect(readFileSync(pub, 'utf8')).toContain('BEGIN PUBLIC KEY');
    // yubico-piv-tool 2.2.0's selfsign-certificate fails inside the tool on OpenSSL 3 before
    // it sends a single APDU, so the certificate comes from openssl; importing is the card's part.
    const made = await tool('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      cert,
      '-subj',
      '/CN=Nia Okafor/O=RWG',
      '-days',
      '730',
    ]);
    expect(made.code, made.out).toBe(0);
    const imported = await piv('-a', 'import-certificate', '-s', '9a', '-i', cert);
    expect(imported.code, imported.out).toBe(0);
    const status = await piv('-a', 'status');
    expect(status.out).toMatch(/Slot 9a:[\s\S]*Subject DN:\s+CN\s*=\s*Nia Okafor/);
  });

  it('lets OpenSC list and read the certificate back', async () => {
    const list = await tool('pkcs15-tool', ['--reader', '0', '--list-certificates']);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toMatch(/Certificate for PIV Authentication/);
    const read = await tool('pkcs15-tool', ['--reader', '0', '--read-certificate', '01']);
    expect(read.code, read.out).toBe(0);
    const pem = (s: string) =>
      s.replace(/\s/g, '').match(/-----BEGINCERTIFICATE-----(.*)-----ENDCERTIFICATE-----/)?.[1];
    expect(pem(read.out)).toBe(pem(readFileSync(join(dir, 'cert.pem'), 'utf8')));
  });

  it("signs through OpenSC's PKCS#11 module only after the PIN, with the key generated in 9A", async () => {
    const data = join(dir, 'data.txt');
    const signature = join(dir, 'data.sig');
    writeFileSync(data, 'Smartcard RA: a document to sign');
    const sign = ['--sign', '--id', '01', '-m', 'SHA256-RSA-PKCS', '-i', data, '-o', signature];
    // A wrong PIN: the card refuses it and nothing is signed (the right PIN next restores
    // the tries).
    const refused = await tool('pkcs11-tool', ['--login', '--pin', '000000', ...sign]);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/CKR_PIN_INCORRECT/);
    expect(existsSync(signature)).toBe(false);
    const signed = await tool('pkcs11-tool', ['--login', '--pin', '123456', ...sign]);
    expect(signed.code, signed.out).toBe(0);
    // The card's own key signed it: it verifies against the key yubico-piv-tool generated.
    const verified = await tool('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      join(dir, 'pub.pem'),
      '-signature',
      signature,
      data,
    ]);
    expect(verified.out).toContain('Verified OK');
  });

  it('a wrong PIN counts down and blocks at zero, as pkcs11-tool and status show', async () => {
    for (const left of [2, 1]) {
      const wrong = await piv('-a', 'verify-pin', '-P', '000000');
      expect(wrong.code).not.toBe(0);
      expect(wrong.out).toMatch(new RegExp(`${left} tries left`));
    }
    await piv('-a', 'verify-pin', '-P', '000000');
    expect((await piv('-a', 'status')).out).toMatch(/PIN tries left:\s+0/);
    // pkcs11-tool's default module is OpenSC's own, wherever this architecture keeps it.
    const slots = await tool('pkcs11-tool', ['-L']);
    expect(slots.out).toMatch(/user PIN locked/);
    const right = await piv('-a', 'verify-pin', '-P', '123456');
    expect(right.code).not.toBe(0);
    expect(right.out).toMatch(/blocked/i);
  });

  it('unblocks the PIN with the PUK, then changes it', async () => {
    const unblocked = await piv('-a', 'unblock-pin', '-P', '12345678', '-N', '246810');
    expect(unblocked.code, unblocked.out).toBe(0);
    expect((await piv('-a', 'status')).out).toMatch(/PIN tries left:\s+3/);
    const changed = await piv('-a', 'change-pin', '-P', '246810', '-N', '13572468');
    expect(changed.code, changed.out).toBe(0);
    expect((await piv('-a', 'verify-pin', '-P', '13572468')).code).toBe(0);
    expect((await piv('-a', 'verify-pin', '-P', '246810')).code).not.toBe(0);
  });

  it('changes the PUK with change-puk, and then only the new PUK works', async () => {
    const changed = await piv('-a', 'change-puk', '-P', '12345678', '-N', '87654321');
    expect(changed.code, changed.out).toBe(0);
    const old = await piv('-a', 'change-puk', '-P', '12345678', '-N', '11223344');
    expect(old.code).not.toBe(0);
    expect(old.out).toMatch(/2 tries left/);
    // The new PUK works (and puts the old one back, with its tries restored).
    const back = await piv('-a', 'change-puk', '-P', '87654321', '-N', '12345678');
    expect(back.code, back.out).toBe(0);
    expect(loadProfile(profilePath)).toMatchObject({ puk: '12345678', pukTries: 3 });
  });

  it('changes the management key with set-mgm-key, and then only the new one works', async () => {
    const set = await piv('-a', 'set-mgm-key', '-n', newKey);
    expect(set.code, set.out).toBe(0);
    expect((await piv('-a', 'generate', '-s', '9c', '-A', 'ECCP256')).code).not.toBe(0);
    // -k takes an optional argument, so it must be joined: --key=KEY.
    const withNew = await piv(`--key=${newKey}`, '-a', 'generate', '-s', '9c', '-A', 'ECCP256');
    expect(withNew.code, withNew.out).toBe(0);
    expect(withNew.out).toContain('BEGIN PUBLIC KEY');
  });

  it('keeps all of it in the profile file: a restarted card is the same card', async () => {
    await card.remove();
    const saved = loadProfile(profilePath);
    expect(saved.managementKey).toEqual({ algorithm: 'tdes', key: newKey });
    expect(Object.keys(saved.keys).sort()).toEqual(['9a', '9c']);
    card = new SimulatedCard(profilePath, testReader.port);
    await card.insert();
    let status = await piv('-a', 'status');
    await waitFor(async () => {
      status = await piv('-a', 'status');
      return status.code === 0;
    }, 'yubico-piv-tool to read the card again');
    expect(status.out).toMatch(/Slot 9a:[\s\S]*CN\s*=\s*Nia Okafor/);
    // The old PIN tried after the change spent a try, and the card remembers it.
    expect(status.out).toMatch(/PIN tries left:\s+2/);
  });

  it('answers unknown and malformed commands with the status words a card gives, and keeps running', async () => {
    const sw = async (apdu: string) =>
      /Received \(SW1=0x(..), SW2=0x(..)\)/
        .exec((await tool('opensc-tool', ['--reader', '0', '--send-apdu', apdu])).out)
        ?.slice(1, 3)
        .join('')
        .toLowerCase();
    expect(await sw('00:99:00:00')).toBe('6d00'); // no such instruction
    expect(await sw('00:CB:3F:FF:05:5C:03:5F:C1:0B:00')).toBe('6a82'); // no key management certificate
    expect(await sw('00:47:00:9A:05:AC:03:80:01:07')).toBe('6982'); // generate without the management key
    expect(await sw('80:CB:3F:FF:00')).toBe('6e00'); // a class the card does not know
    expect(await sw('00:CB:3F:FF:03:5C:05:5F')).toBe('6a80'); // a truncated TLV
    expect((await piv('-a', 'status')).code).toBe(0);
  });

  it('serves a second card in the second slot at the same time', async () => {
    const secondPath = join(dir, 'second.json');
    saveProfile(secondPath, blankProfile('00000002'));
    const second = new SimulatedCard(secondPath, testReader.port + 1);
    await second.insert();
    try {
      let status = await tool('yubico-piv-tool', ['-r', slotName(1), '-a', 'status']);
      await waitFor(async () => {
        status = await tool('yubico-piv-tool', ['-r', slotName(1), '-a', 'status']);
        return status.code === 0;
      }, 'yubico-piv-tool to read the second slot');
      expect(status.out).toMatch(/Serial Number:\s+2\b/);
      expect((await piv('-a', 'status')).out).toMatch(/Serial Number:\s+10597059/);
    } finally {
      await second.remove();
    }
  });
});
