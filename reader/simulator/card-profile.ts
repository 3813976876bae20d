import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { atrWithHistoricalBytes } from '../piv/atr.ts';
import { objectTags } from '../piv/constants.ts';
import { tlv } from '../piv/tlv.ts';

export type KeyAlgorithm = 'rsa2048' | 'eccP256';

/**
 * The status words a card without extended length answers an extended APDU with, as such
 * cards are seen to: wrong length, wrong data, Lc inconsistent with P1-P2, instruction or
 * class not supported.
 */
export const extendedRefusals = ['6700', '6a80', '6a87', '6d00', '6e00'] as const;
export type ExtendedRefusal = (typeof extendedRefusals)[number];

/**
 * The simulator's ATRs. `plain` says nothing of extended length (no historical bytes), so a
 * reader must find out by asking; `extended` and `short` carry the card capabilities
 * (compact-TLV 73: selection by full and partial DF name, 1-byte data units, command
 * chaining) with the "extended Lc and Le" bit set or clear.
 */
export const simulatorAtrs = {
  plain: atrWithHistoricalBytes(Buffer.alloc(0)).toString('hex'),
  extended: atrWithHistoricalBytes(Buffer.from('8073c021c0', 'hex')).toString('hex'),
  short: atrWithHistoricalBytes(Buffer.from('8073c02180', 'hex')).toString('hex'),
} as const;
export type ManagementAlgorithm = 'tdes' | 'aes128' | 'aes192' | 'aes256';

/**
 * A simulated card, as kept in its profile file. The file is the card's memory: every
 * change (a PIN try, a new key, a certificate) is written back, so a card personalised
 * yesterday is still personalised today. It holds the card's secrets as a real card
 * would; it is test material and must never hold a real person's keys.
 */
export interface CardProfile {
  /** Card serial, 8 hex digits; the card's own serial (GET SERIAL) as a number. */
  serial: string;
  atr: string;
  /** Firmware version the card claims, as yubico-piv-tool reads it. */
  version: string;
  /** Data objects by tag (hex), each the value inside its `53` wrapper, base64. */
  objects: Record<string, string>;
  /** Private keys by slot (9a, 9c, 9d, 9e), PKCS#8 PEM. */
  keys: Record<string, { algorithm: KeyAlgorithm; pem: string }>;
  pin: string;
  puk: string;
  pinTries: number;
  pinTriesMax: number;
  pukTries: number;
  pukTriesMax: number;
  managementKey: { algorithm: ManagementAlgorithm; key: string };
  /**
   * How the card answers an extended-length APDU: `accept` (the default when absent) reads
   * it, a status word refuses it with that status, as a card that takes short APDUs only.
   */
  extendedApdus?: 'accept' | ExtendedRefusal;
}

/** The defaults every PIV tool assumes of a factory-fresh card. */
export const factoryDefaults = {
  pin: '123456',
  puk: '12345678',
  managementKey: {
    algorithm: 'tdes' as const,
    key: '010203040506070801020304050607080102030405060708',
  },
};

/** A CHUID: FASC-N, GUID and expiry, with the empty signature a test card may carry. */
export function chuidObject(guid: Buffer, expiry: string): Buffer {
  const fascn = Buffer.from('d4e739da739ced39ce739d836858210842108421c84210c3eb', 'hex');
  return Buffer.concat([
    tlv(0x30, fascn),
    tlv(0x34, guid),
    tlv(0x35, Buffer.from(expiry, 'ascii')),
    tlv(0x3e, Buffer.alloc(0)),
    tlv(0xfe, Buffer.alloc(0)),
  ]);
}

/** A blank, factory-fresh card: default PIN, PUK and management key, no keys or certificates. */
export function blankProfile(serial = randomBytes(4).toString('hex')): CardProfile {
  const guid = Buffer.concat([Buffer.from(serial.padStart(8, '0'), 'hex'), randomBytes(12)]);
  const ccc = Buffer.concat([
    tlv(
      0xf0,
      Buffer.from(`a00000011603${serial.padStart(8, '0').slice(0, 8)}0000000000000000`, 'hex'),
    ),
    tlv(0xf1, Buffer.from([0x21])),
    tlv(0xf2, Buffer.from([0x21])),
    tlv(0xf3, Buffer.alloc(0)),
    tlv(0xf4, Buffer.from([0x00])),
    tlv(0xf5, Buffer.from([0x10])),
    tlv(0xfe, Buffer.alloc(0)),
  ]);
  return {
    serial: serial.padStart(8, '0'),
    atr: simulatorAtrs.plain,
    version: '5.2.7',
    objects: {
      [objectTags.chuid.toString(16)]: chuidObject(guid, '20351231').toString('base64'),
      [objectTags.ccc.toString(16)]: ccc.toString('base64'),
    },
    keys: {},
    pin: factoryDefaults.pin,
    puk: factoryDefaults.puk,
    pinTries: 3,
    pinTriesMax: 3,
    pukTries: 3,
    pukTriesMax: 3,
    managementKey: { ...factoryDefaults.managementKey },
  };
}

export function loadProfile(path: string): CardProfile {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CardProfile;
  if (!/^[0-9a-f]{8}$/i.test(profile.serial) || !/^[0-9a-f]+$/i.test(profile.atr)) {
    throw new Error(`${path} is not a card profile (serial and atr are hex)`);
  }
  const extended = profile.extendedApdus;
  if (extended !== undefined && extended !== 'accept' && !extendedRefusals.includes(extended)) {
    throw new Error(
      `${path}: extendedApdus is "accept" or one of ${extendedRefusals.join(', ')}, not ${JSON.stringify(extended)}`,
    );
  }
  return profile;
}

/** Writes the profile so that a crash mid-write leaves the old file, never half a card. */
export function saveProfile(path: string, profile: CardProfile): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}
