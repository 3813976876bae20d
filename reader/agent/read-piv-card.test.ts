import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { tlv } from '../piv/tlv.ts';
import { parseApdu } from '../simulator/apdu.ts';
import {
  blankProfile,
  type CardProfile,
  extendedRefusals,
  simulatorAtrs,
} from '../simulator/card-profile.ts';
import { PivCard } from '../simulator/piv-card.ts';
import { cardSerialOf, insertedObservation } from './observation.ts';
import {
  CardReadError,
  maxCertificateBytes,
  type PivReading,
  readPivCard,
} from './read-piv-card.ts';

let der: Buffer;
beforeAll(() => {
  // A real certificate from openssl, with the extensions an NHS smart card certificate has.
  const dir = mkdtempSync(join(tmpdir(), 'ra-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'k.pem'),
      '-outform',
      'DER',
      '-out',
      join(dir, 'c.der'),
      '-subj',
      '/CN=Nia Okafor/O=RWG',
      '-days',
      '730',
      '-addext',
      'keyUsage=critical,digitalSignature',
      '-addext',
      'extendedKeyUsage=clientAuth,1.3.6.1.4.1.311.20.2.2',
      '-addext',
      'subjectAltName=email:nia.okafor@nhs.net,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:555086689106@nhs.uk',
    ],
    { stdio: 'ignore' },
  );
  der = readFileSync(join(dir, 'c.der'));
});

const certObject = (cert: Buffer, compressed = false) =>
  Buffer.concat([
    tlv(0x70, cert),
    tlv(0x71, Buffer.from([compressed ? 1 : 0])),
    tlv(0xfe, Buffer.alloc(0)),
  ]).toString('base64');

function cardWith(change: (p: CardProfile) => void) {
  const profile = blankProfile('0000abcd');
  change(profile);
  const card = new PivCard(profile);
  return { card, transmit: async (apdu: Buffer) => card.transmit(apdu) };
}

describe('reading a PIV card', () => {
  it('reads a blank card in seven APDUs without spending a PIN try', async () => {
    const { card, transmit } = cardWith(() => {});
    const reading = await readPivCard(transmit);
    expect(reading).toMatchObject({
      cardType: 'PIV',
      certificates: [],
      pin: { triesLeft: 3, blocked: false },
      apdus: 7,
    });
    expect(reading.chuid?.guid).toMatch(/^0000abcd/);
    expect(card.profile.pinTries).toBe(3);
  });

  it('parses certificates, plain and gzip-compressed, with names, usages and fingerprint', async () => {
    const { transmit } = cardWith((p) => {
      p.objects['5fc105'] = certObject(der);
      p.objects['5fc10a'] = certObject(gzipSync(der), true);
    });
    const reading = await readPivCard(transmit);
    expect(reading.certificates.map((c) => c.slot)).toEqual(['9a', '9c']);
    const [auth, sign] = reading.certificates;
    expect(auth).toMatchObject({
      certificate: {
        subject: 'CN=Nia Okafor, O=RWG',
        keyUsage: ['digitalSignature'],
        extendedKeyUsage: ['clientAuth', 'smartcardLogon'],
        email: 'nia.okafor@nhs.net',
        upn: '555086689106@nhs.uk',
      },
    });
    expect(sign && 'certificate' in sign && sign.certificate.sha256).toBe(
      auth && 'certificate' in auth && auth.certificate.sha256,
    );
    // One extended GET DATA per object: no GET RESPONSE needed.
    expect(reading.apdus).toBe(7);
  });

  it("keeps each certificate's DER, unzipped, and reports it to the server beside its summary", async () => {
    const { transmit } = cardWith((p) => {
      p.objects['5fc105'] = certObject(der);
      p.objects['5fc10a'] = certObject(gzipSync(der), true);
    });
    const reading = await readPivCard(transmit);
    const ders = reading.certificates.map((c) => ('certificate' in c ? c.certificate.der : null));
    expect(ders).toEqual([der.toString('base64'), der.toString('base64')]);
    const observation = insertedObservation('R', Buffer.from([0x3b]), reading, new Date());
    expect(observation.card?.certificates[0]).toMatchObject({
      slot: '9a',
      certificate: { der: der.toString('base64'), subject: 'CN=Nia Okafor, O=RWG' },
    });
    // The DER is the certificate itself (public data); it is what the sha256 is of.
    const sent = observation.card?.certificates[0];
    const sentDer = sent && 'certificate' in sent ? sent.certificate.der : '';
    expect(createHash('sha256').update(Buffer.from(sentDer, 'base64')).digest('hex')).toBe(
      sent && 'certificate' in sent ? sent.certificate.sha256 : 'none',
    );
  });

  it('refuses a certificate larger than the server takes, unzipped or not', async () => {
    const huge = Buffer.concat([der, Buffer.alloc(maxCertificateBytes)]);
    const { transmit } = cardWith((p) => {
      p.objects['5fc105'] = certObject(huge);
      p.objects['5fc10a'] = certObject(der);
    });
    const reading = await readPivCard(transmit);
    expect(reading.certificates).toEqual([
      {
        slot: '9a',
        error: `the certificate is ${huge.length} bytes, more than ${maxCertificateBytes}: refused`,
      },
      expect.objectContaining({ slot: '9c', certificate: expect.anything() }),
    ]);
  });

  it('turns a bad object into an error on that slot, and reads the rest', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    const { transmit } = cardWith((p) => {
      p.objects['5fc105'] = certObject(der);
      p.objects['5fc10a'] = certObject(Buffer.from('not a certificate at all'));
      p.objects['5fc10b'] = certObject(bomb, true);
      p.objects['5fc101'] = Buffer.from([0x70, 0x82, 0x01]).toString('base64'); // truncated TLV
    });
    const reading = await readPivCard(transmit);
    expect(reading.certificates).toEqual([
      expect.objectContaining({ slot: '9a', certificate: expect.anything() }),
      { slot: '9c', error: expect.stringMatching(/not DER|not an X\.509/) },
      {
        slot: '9d',
        error: `the compressed certificate unpacks to more than ${maxCertificateBytes} bytes: refused`,
      },
      { slot: '9e', error: expect.stringMatching(/truncated/) },
    ]);
  });

  it('keeps reading the other slots when the card refuses one object', async () => {
    const { card } = cardWith((p) => {
      p.objects['5fc105'] = certObject(der);
      p.objects['5fc10a'] = certObject(der);
    });
    // A card that protects its signing certificate object (security status not satisfied).
    const protective = async (apdu: Buffer) =>
      apdu[1] === 0xcb && apdu.includes(Buffer.from([0x5f, 0xc1, 0x0a]))
        ? Buffer.from([0x69, 0x82])
        : card.transmit(apdu);
    const reading = await readPivCard(protective);
    expect(reading.certificates).toEqual([
      expect.objectContaining({ slot: '9a', certificate: expect.anything() }),
      { slot: '9c', error: 'the card refused it: SW 6982' },
    ]);
    expect(reading.pin.triesLeft).toBe(3);
  });

  it("identifies a card with no CHUID by its own serial number, at one APDU's cost", async () => {
    const { transmit } = cardWith((p) => {
      delete p.objects['5fc102'];
    });
    const reading = await readPivCard(transmit);
    expect(reading.chuid).toBeNull();
    expect(reading.serialNumber).toBe(String(0x0000abcd));
    expect(cardSerialOf(reading)).toBe(`sn-${0x0000abcd}`);
    expect(reading.apdus).toBe(8);
    // A card with a CHUID GUID is not asked: the GUID is its identity.
    const withChuid = await readPivCard(cardWith(() => {}).transmit);
    expect(withChuid.serialNumber).toBeNull();
    expect(cardSerialOf(withChuid)).toMatch(/^0000abcd[0-9a-f]{24}$/);
  });

  it('leaves a card with neither CHUID nor serial unidentified', async () => {
    const { card } = cardWith((p) => {
      delete p.objects['5fc102'];
    });
    const noSerial = async (apdu: Buffer) =>
      apdu[1] === 0xf8 ? Buffer.from([0x6d, 0x00]) : card.transmit(apdu);
    const reading = await readPivCard(noSerial);
    expect(reading.serialNumber).toBeNull();
    expect(cardSerialOf(reading)).toBeNull();
    expect(insertedObservation('R', Buffer.from([0x3b]), reading, new Date())).toMatchObject({
      kind: 'card_unreadable',
      error: 'the card has neither a CHUID nor a serial number: it cannot be identified',
    });
  });

  it('reports a blocked PIN', async () => {
    const { transmit } = cardWith((p) => {
      p.pinTries = 0;
    });
    expect((await readPivCard(transmit)).pin).toEqual({
      triesLeft: 0,
      blocked: true,
      verified: false,
    });
  });

  describe('a card or reader that takes short APDUs only', () => {
    /** The card with certificates in 9A and 9C, and every APDU sent to it, kept. */
    function twoCertificates(change: (p: CardProfile) => void = () => {}) {
      const { card } = cardWith((p) => {
        p.objects['5fc105'] = certObject(der);
        p.objects['5fc10a'] = certObject(der);
        change(p);
      });
      const sent: Buffer[] = [];
      const extendedSent = () => sent.filter((a) => parseApdu(a).extended).length;
      const log = (next: (apdu: Buffer) => Promise<Buffer>) => async (apdu: Buffer) => {
        sent.push(apdu);
        return next(apdu);
      };
      return { card, sent, extendedSent, log };
    }
    // Read short, a certificate object comes in 256-byte pieces: GET DATA and GET RESPONSEs.
    const pieces = () => Math.ceil(tlv(0x53, Buffer.from(certObject(der), 'base64')).length / 256);
    // SELECT, CHUID, 9A, 9C, 9D and 9E (not found), VERIFY.
    const shortReading = () => 1 + 1 + 2 * pieces() + 2 + 1;

    function expectReadInFull(reading: PivReading) {
      expect(reading.chuid?.guid).toMatch(/^0000abcd/);
      expect(reading.chuidError).toBeNull();
      expect(reading.serialNumber).toBeNull();
      expect(reading.certificates).toEqual([
        expect.objectContaining({
          slot: '9a',
          certificate: expect.objectContaining({ der: der.toString('base64') }),
        }),
        expect.objectContaining({
          slot: '9c',
          certificate: expect.objectContaining({ der: der.toString('base64') }),
        }),
      ]);
      expect(reading.pin).toEqual({ triesLeft: 3, blocked: false, verified: false });
      expect(reading.shortApdus).toBe(true);
    }

    it.each(extendedRefusals)(
      'reads in full a card that refuses extended APDUs with %s, asking in extended form once',
      async (status) => {
        const { card, sent, extendedSent, log } = twoCertificates((p) => {
          p.extendedApdus = status;
        });
        const reading = await readPivCard(log(async (apdu) => card.transmit(apdu)));
        expectReadInFull(reading);
        // The refusal is the card's, as the simulator answers it.
        expect(card.transmit(sent[1] as Buffer).toString('hex')).toBe(status);
        expect(extendedSent()).toBe(1);
        expect(reading.apdus).toBe(sent.length);
        expect(reading.apdus).toBe(shortReading() + 1);
      },
    );

    it('reads in full through a reader whose transmit fails on an extended APDU', async () => {
      const { card, extendedSent, log } = twoCertificates();
      const reader = log(async (apdu) => {
        if (parseApdu(apdu).extended) throw new Error('SCardTransmit: Transaction failed.');
        return card.transmit(apdu);
      });
      const reading = await readPivCard(reader);
      expectReadInFull(reading);
      expect(extendedSent()).toBe(1);
      expect(reading.apdus).toBe(shortReading() + 1);
    });

    it('falls back at the first object the extended form fails on, and stays short', async () => {
      // A reader that carries an extended command but no answer longer than a short one's.
      const { card, sent, extendedSent, log } = twoCertificates();
      const reader = log(async (apdu) => {
        const answer = card.transmit(apdu);
        if (answer.length > 258) throw new Error('SCardTransmit: Insufficient buffer.');
        return answer;
      });
      const reading = await readPivCard(reader);
      expectReadInFull(reading);
      // The CHUID came extended; 9A failed so, and was asked again short, as was all after.
      expect(extendedSent()).toBe(2);
      expect(parseApdu(sent[1] as Buffer).extended).toBe(true);
      expect(reading.apdus).toBe(shortReading() + 1);
    });

    it('asks in short APDUs from the start when the ATR says the card takes no extended length', async () => {
      const { card, extendedSent, log } = twoCertificates((p) => {
        p.extendedApdus = '6700';
      });
      const atr = Buffer.from(simulatorAtrs.short, 'hex');
      const reading = await readPivCard(
        log(async (apdu) => card.transmit(apdu)),
        atr,
      );
      expectReadInFull(reading);
      expect(extendedSent()).toBe(0);
      expect(reading.apdus).toBe(shortReading());
    });

    it('costs a card that takes extended APDUs nothing more, whatever its ATR says of them', async () => {
      const yubikey = Buffer.from('3bfd1300008131fe158073c021c057597562694b657940', 'hex');
      for (const atr of [undefined, Buffer.from(simulatorAtrs.extended, 'hex'), yubikey]) {
        const { card, log } = twoCertificates();
        const reading = await readPivCard(
          log(async (apdu) => card.transmit(apdu)),
          atr,
        );
        expect(reading.apdus).toBe(7);
        expect(reading.shortApdus).toBe(false);
        expect(reading.certificates).toHaveLength(2);
      }
    });

    it('keeps the extended form for the rest when the card refuses one object in both forms', async () => {
      const { card, extendedSent, log } = twoCertificates();
      const protective = log(async (apdu) =>
        apdu[1] === 0xcb && apdu.includes(Buffer.from([0x5f, 0xc1, 0x0a]))
          ? Buffer.from([0x69, 0x82])
          : card.transmit(apdu),
      );
      const reading = await readPivCard(protective);
      expect(reading.certificates[1]).toEqual({
        slot: '9c',
        error: 'the card refused it: SW 6982',
      });
      expect(reading.shortApdus).toBe(false);
      // 9C asked twice; every other object once, extended.
      expect(reading.apdus).toBe(8);
      expect(extendedSent()).toBe(5);
    });

    it('fails the reading when the short form fails too: the card is gone', async () => {
      const { card } = twoCertificates();
      let objects = 0;
      const pulledOut = async (apdu: Buffer) => {
        if (apdu[1] === 0xcb && ++objects > 1) throw new Error('SCardTransmit: Card was removed.');
        return card.transmit(apdu);
      };
      await expect(readPivCard(pulledOut)).rejects.toThrow(/Card was removed/);
    });
  });

  it('records a CHUID the card refuses as an error on the CHUID, and reads the rest', async () => {
    const { card } = cardWith((p) => {
      p.objects['5fc105'] = certObject(der);
    });
    const noChuid = async (apdu: Buffer) =>
      apdu[1] === 0xcb && apdu.includes(Buffer.from([0x5f, 0xc1, 0x02]))
        ? Buffer.from([0x69, 0x82])
        : card.transmit(apdu);
    const reading = await readPivCard(noChuid);
    expect(reading.chuid).toBeNull();
    expect(reading.chuidError).toBe('the card refused it: SW 6982');
    // Known by its own serial number instead, its certificate and PIN read all the same.
    expect(reading.serialNumber).toBe(String(0x0000abcd));
    expect(reading.certificates).toEqual([
      expect.objectContaining({ slot: '9a', certificate: expect.anything() }),
    ]);
    expect(reading.pin.triesLeft).toBe(3);
    const observation = insertedObservation('R', Buffer.from([0x3b]), reading, new Date());
    expect(observation).toMatchObject({
      kind: 'card_inserted',
      cardSerial: `sn-${0x0000abcd}`,
      card: { chuid: null, chuidError: 'the card refused it: SW 6982' },
    });
    // A CHUID read is not reported as an error at all.
    const fine = await readPivCard(cardWith(() => {}).transmit);
    expect(fine.chuidError).toBeNull();
    expect(insertedObservation('R', Buffer.from([0x3b]), fine, new Date()).card).not.toHaveProperty(
      'chuidError',
    );
  });

  it('records a CHUID that does not parse as an error on the CHUID', async () => {
    const { transmit } = cardWith((p) => {
      p.objects['5fc102'] = Buffer.from([0x34, 0x82, 0x01]).toString('base64'); // truncated TLV
    });
    const reading = await readPivCard(transmit);
    expect(reading.chuid).toBeNull();
    expect(reading.chuidError).toMatch(/truncated/);
    expect(reading.serialNumber).toBe(String(0x0000abcd));
  });

  it('refuses a card that answers garbage, with a clear error', async () => {
    await expect(readPivCard(async () => Buffer.from([0x42]))).rejects.toThrow(CardReadError);
    await expect(readPivCard(async () => Buffer.from([0x6a, 0x82]))).rejects.toThrow(
      /not a PIV card/,
    );
  });
});
