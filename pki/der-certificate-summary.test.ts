import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pkijsCertificateSummary as parseCertificate } from '../test/support/pkijs-certificate-summary.ts';
import { CertificateError } from './certificate-summary-fields.ts';
import { parseCertificateDer } from './der-certificate-summary.ts';

// Certificates made by openssl, so both readers are checked against an outside encoder, and
// the agent's reader (a walk of the DER) against the server's (pkijs) on each.
const dir = mkdtempSync(join(tmpdir(), 'ra-der-'));
const openssl = (args: string[]) =>
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

interface Made {
  subject: string;
  key?: string[];
  extensions?: string[];
  /** Other `openssl req` options (-days, -set_serial, -multivalue-rdn, -config …). */
  more?: string[];
}

function make(name: string, { subject, key = ['rsa:2048'], extensions = [], more = [] }: Made) {
  const out = join(dir, `${name}.der`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    ...key,
    '-nodes',
    '-keyout',
    join(dir, `${name}.key`),
    '-outform',
    'DER',
    '-out',
    out,
    '-utf8',
    '-subj',
    subject,
    ...extensions.flatMap((e) => ['-addext', e]),
    ...more,
  ]);
  return readFileSync(out);
}

const certificates = new Map<string, Buffer>();
beforeAll(() => {
  // string_mask pkix: names outside PrintableString and Latin-1 go as BMPString.
  const bmpConfig = join(dir, 'bmp.cnf');
  writeFileSync(
    bmpConfig,
    '[req]\ndistinguished_name=dn\nstring_mask=pkix\nutf8=yes\n[dn]\n[ext]\nbasicConstraints=CA:FALSE\n',
  );
  const made: Record<string, Made> = {
    smartcard: {
      subject: '/C=GB/O=RWG/OU=Nursing/CN=Nia Okafor/serialNumber=555086689106',
      key: ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      extensions: [
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=clientAuth,1.3.6.1.4.1.311.20.2.2,1.2.3.4',
        'subjectAltName=email:nia.okafor@nhs.net,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:555086689106@nhs.uk',
      ],
      more: ['-days', '30'],
    },
    plain: { subject: '/C=GB/O=RWG/CN=No Extensions', more: ['-days', '1'] },
    // A serial whose top bit is set is encoded with a leading 00.
    highSerial: {
      subject: '/CN=High Serial',
      more: ['-set_serial', '0x80112233445566778899', '-days', '10'],
    },
    // Valid past 2049: notAfter is a GeneralizedTime.
    longLived: { subject: '/CN=Long Lived', more: ['-days', '30000'] },
    accents: {
      subject: '/C=GB/O=Ysbyty Gwynedd/CN=Siân Zoë Ñúñez/emailAddress=sian@example.org',
      extensions: ['subjectAltName=email:sian@example.org,DNS:example.org,IP:127.0.0.1'],
    },
    multiValued: {
      subject: '/DC=uk/O=RWG/CN=Two Values+serialNumber=123456789012/title=Staff Nurse',
      more: ['-multivalue-rdn'],
    },
    bmp: { subject: '/CN=Катерина Шевченко/O=RWG', more: ['-config', bmpConfig] },
    allUsages: {
      subject: '/CN=Every Key Usage',
      extensions: [
        'keyUsage=digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment,keyAgreement,keyCertSign,cRLSign,encipherOnly,decipherOnly',
        'extendedKeyUsage=clientAuth,emailProtection,1.3.6.1.5.2.3.4,1.3.6.1.4.1.311.20.2.2',
      ],
    },
    // An arc past 2^53 (a UUID's OID), which pkijs gives in hex: compared apart below.
    uuidPurpose: {
      subject: '/CN=UUID Purpose',
      extensions: ['extendedKeyUsage=2.25.329800735698586629295641978511506172918'],
    },
    // Two emails and two UPNs: the last of each is reported, as by pkijs.
    twoNames: {
      subject: '/CN=Two Names',
      key: ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      extensions: [
        'subjectAltName=email:a@example.org,email:b@example.org,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:one@nhs.uk,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:two@nhs.uk,otherName:1.2.3.4;UTF8:not a upn,dirName:dir_sect',
      ],
      more: ['-config', join(dir, 'dir.cnf')],
    },
  };
  writeFileSync(
    join(dir, 'dir.cnf'),
    '[req]\ndistinguished_name=dn\n[dn]\n[dir_sect]\nC=GB\nO=Directory\nCN=Somebody\n',
  );
  for (const [name, spec] of Object.entries(made)) certificates.set(name, make(name, spec));
});

const cert = (name: string) => {
  const der = certificates.get(name);
  if (!der) throw new Error(`no certificate ${name}`);
  return der;
};

describe('parseCertificateDer', () => {
  it('gives the summary pkijs gives, on every certificate made here', () => {
    for (const [name, der] of certificates) {
      const ours = { name, ...parseCertificateDer(der) };
      const theirs = { name, ...parseCertificate(der) };
      if (name === 'uuidPurpose') {
        expect(theirs.extendedKeyUsage).toEqual(['2.25.{03701d276b4f5e604721273240140c48795776}']);
        theirs.extendedKeyUsage = ['2.25.329800735698586629295641978511506172918'];
      }
      expect(ours).toEqual(theirs);
    }
  });

  it('reads what openssl put in: names, validity, usages, SAN email and UPN', () => {
    const smartcard = parseCertificateDer(cert('smartcard'));
    expect(smartcard.subject).toBe(
      'C=GB, O=RWG, OU=Nursing, CN=Nia Okafor, serialNumber=555086689106',
    );
    expect(smartcard.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(smartcard.extendedKeyUsage).toEqual(['clientAuth', 'smartcardLogon', '1.2.3.4']);
    expect(smartcard.email).toBe('nia.okafor@nhs.net');
    expect(smartcard.upn).toBe('555086689106@nhs.uk');
    expect((Date.parse(smartcard.notAfter) - Date.parse(smartcard.notBefore)) / 86_400_000).toBe(
      30,
    );

    expect(parseCertificateDer(cert('accents')).subject).toBe(
      'C=GB, O=Ysbyty Gwynedd, CN=Siân Zoë Ñúñez, emailAddress=sian@example.org',
    );
    expect(parseCertificateDer(cert('bmp')).subject).toBe('CN=Катерина Шевченко, O=RWG');
    expect(parseCertificateDer(cert('multiValued')).subject).toBe(
      '0.9.2342.19200300.100.1.25=uk, O=RWG, CN=Two Values, serialNumber=123456789012, 2.5.4.12=Staff Nurse',
    );
    expect(parseCertificateDer(cert('allUsages')).extendedKeyUsage).toEqual([
      'clientAuth',
      'emailProtection',
      'pkinitClient',
      'smartcardLogon',
    ]);
    expect(parseCertificateDer(cert('uuidPurpose')).extendedKeyUsage).toEqual([
      '2.25.329800735698586629295641978511506172918',
    ]);
    expect(parseCertificateDer(cert('allUsages')).keyUsage).toHaveLength(9);
    const two = parseCertificateDer(cert('twoNames'));
    expect([two.email, two.upn]).toEqual(['b@example.org', 'two@nhs.uk']);
    expect(parseCertificateDer(cert('longLived')).notAfter.slice(0, 2)).toBe('21');
  });

  it('gives the serial number and SHA-256 fingerprint that openssl gives', () => {
    const file = join(dir, 'highSerial.der');
    const x509 = (...flags: string[]) =>
      openssl(['x509', '-inform', 'DER', '-in', file, '-noout', ...flags])
        .toString()
        .trim()
        .replace(/^.*=/, '');
    const summary = parseCertificateDer(cert('highSerial'));
    expect(summary.serialNumber).toBe(`00${x509('-serial').toLowerCase()}`);
    expect(summary.sha256).toBe(x509('-fingerprint', '-sha256').replaceAll(':', '').toLowerCase());
  });

  it('refuses bytes that are not DER, DER that is not a certificate, and a truncated certificate', () => {
    const smartcard = cert('smartcard');
    expect(() => parseCertificateDer(Buffer.from('not a certificate'))).toThrow(/^not DER/);
    expect(() => parseCertificateDer(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]))).toThrow(
      /not an X\.509 certificate/,
    );
    expect(() => parseCertificateDer(smartcard.subarray(0, smartcard.length - 40))).toThrow(
      CertificateError,
    );
    expect(() => parseCertificateDer(Buffer.alloc(0))).toThrow(CertificateError);
    // Nested past any certificate's depth: refused, with no stack spent on it.
    const deep = Buffer.concat([Buffer.alloc(400, 0x30), Buffer.alloc(400, 0x80)]);
    expect(() => parseCertificateDer(deep)).toThrow(CertificateError);
  });

  it('on every corruption of one byte, refuses it, or reads what pkijs reads or less', () => {
    // Each byte of two certificates set to 00, FF and flipped. The agent's reader fails only
    // with a CertificateError. Where both read the bytes, they agree but where the agent's
    // reader is stricter: an extension whose DER does not decode (pkijs reads past an
    // element's end) reads as absent, and a name's value that is no string is given as `#`
    // and its DER, where pkijs gives String() of whatever asn1js made of it.
    let both = 0;
    let stricter = 0;
    for (const name of ['smartcard', 'twoNames']) {
      const der = cert(name);
      for (let i = 0; i < der.length; i += 1)
        for (const change of [0x00, 0xff, (der[i] ?? 0) ^ 0x01]) {
          const bad = Buffer.from(der);
          bad[i] = change;
          const ours = attempt(() => parseCertificateDer(bad));
          if (ours instanceof Error) {
            expect(ours).toBeInstanceOf(CertificateError);
            continue;
          }
          const theirs = attempt(() => parseCertificate(bad));
          if (theirs instanceof Error) continue;
          both += 1;
          const where = `${name}, byte ${i} set to ${change.toString(16)}`;
          for (const field of ['subject', 'issuer'] as const)
            if (/=#[0-9a-f]+(,|$)/.test(ours[field])) ours[field] = theirs[field];
          for (const field of ['keyUsage', 'extendedKeyUsage'] as const)
            if (!ours[field].length && theirs[field].length) {
              stricter += 1;
              ours[field] = theirs[field];
            }
          for (const field of ['email', 'upn'] as const)
            if (ours[field] === null && theirs[field] !== null) {
              stricter += 1;
              ours[field] = theirs[field];
            }
          expect({ where, ...ours }).toEqual({ where, ...theirs });
        }
    }
    expect(both).toBeGreaterThan(500);
    expect(stricter).toBeLessThan(both / 20);
  });
});

function attempt<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
