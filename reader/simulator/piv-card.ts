import { randomBytes, timingSafeEqual } from 'node:crypto';
import { algorithms, keyReferences, pivAid, sw } from '../piv/constants.ts';
import { readAll, TlvError, tlv } from '../piv/tlv.ts';
import { ApduFormatError, type CommandApdu, parseApdu, response } from './apdu.ts';
import { cardSign, generateCardKey, publicKeyTemplate } from './card-keys.ts';
import type { CardProfile, KeyAlgorithm } from './card-profile.ts';
import { blockSize, encryptBlock, keyLength, managementAlgorithmOf } from './management-key.ts';

const keyAlgorithms: Partial<Record<number, KeyAlgorithm>> = {
  [algorithms.rsa2048]: 'rsa2048',
  [algorithms.eccP256]: 'eccP256',
};
const keySlots: Record<number, string> = { 154: '9a', 156: '9c', 157: '9d', 158: '9e' };

/** The application property template SELECT answers with. */
const applicationTemplate = tlv(
  0x61,
  tlv(0x4f, Buffer.from('000010000100', 'hex')),
  tlv(0x79, tlv(0x4f, pivAid.subarray(0, 5))),
  tlv(0x50, Buffer.from('Smartcard RA test card', 'ascii')),
);
const discoveryObject = tlv(0x7e, tlv(0x4f, pivAid), tlv(0x5f2f, Buffer.from([0x40, 0x00])));

class Reply {
  constructor(
    readonly data: Buffer,
    readonly sw: number,
  ) {}
}
const status = (code: number) => new Reply(Buffer.alloc(0), code);
const ok = (data: Buffer = Buffer.alloc(0)) => new Reply(data, sw.ok);
const triesLeft = (n: number) => status(n === 0 ? sw.blocked : 0x63c0 | Math.min(n, 15));

/** A reference (PIN or PUK) as the card compares it: the 8 bytes without the FF padding. */
function unpad(block: Buffer): string | undefined {
  const end = block.indexOf(0xff);
  const value = block.subarray(0, end === -1 ? block.length : end);
  if (value.length < 6 || value.length > 8 || block.subarray(value.length).some((b) => b !== 0xff))
    return undefined;
  return value.toString('latin1');
}
const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));

/**
 * A PIV card: the application's state machine over a profile. Session state (PIN verified,
 * management key authenticated, pending responses) lives until reset; persistent state lives
 * in the profile, and `onChange` is told whenever that changes, to write it down.
 */
export class PivCard {
  private pinVerified = false;
  private managementAuthenticated = false;
  private witness: Buffer | undefined;
  private challenge: Buffer | undefined;
  private pending: Buffer | undefined;
  private chain: { ins: number; data: Buffer } | undefined;

  constructor(
    readonly profile: CardProfile,
    private readonly onChange: (profile: CardProfile) => void = () => {},
  ) {}

  get atr(): Buffer {
    return Buffer.from(this.profile.atr, 'hex');
  }

  /** Power off, on or reset: everything of the session is forgotten. */
  reset(): void {
    this.pinVerified = false;
    this.managementAuthenticated = false;
    this.witness = undefined;
    this.challenge = undefined;
    this.pending = undefined;
    this.chain = undefined;
  }

  /** Answers one command APDU with response data and a status word; never throws. */
  transmit(raw: Buffer): Buffer {
    let apdu: CommandApdu;
    try {
      apdu = parseApdu(raw);
    } catch (err) {
      if (err instanceof ApduFormatError) return response(Buffer.alloc(0), sw.wrongLength);
      throw err;
    }
    const refusal = this.profile.extendedApdus;
    if (apdu.extended && refusal && refusal !== 'accept') {
      return response(Buffer.alloc(0), Number.parseInt(refusal, 16));
    }
    let reply: Reply;
    try {
      reply = this.dispatch(apdu);
    } catch (err) {
      if (err instanceof TlvError) reply = status(sw.wrongData);
      else throw err;
    }
    return this.send(reply, apdu);
  }

  private send(reply: Reply, apdu: CommandApdu): Buffer {
    const max = apdu.le || (apdu.extended ? 65536 : 256);
    if (reply.sw !== sw.ok || reply.data.length <= max) return response(reply.data, reply.sw);
    this.pending = reply.data.subarray(max);
    return response(
      reply.data.subarray(0, max),
      0x6100 | (Math.min(this.pending.length, 256) % 256),
    );
  }

  private dispatch(apdu: CommandApdu): Reply {
    if (apdu.ins === 0xc0) return this.getResponse(apdu);
    this.pending = undefined;
    if ((apdu.cla & ~0x10) !== 0x00) return status(sw.claNotSupported);
    if (apdu.cla & 0x10) {
      if (this.chain && this.chain.ins !== apdu.ins) this.chain = undefined;
      this.chain = {
        ins: apdu.ins,
        data: Buffer.concat([this.chain?.data ?? Buffer.alloc(0), apdu.data]),
      };
      if (this.chain.data.length > 4096) {
        this.chain = undefined;
        return status(sw.wrongLength);
      }
      return ok();
    }
    if (this.chain) {
      const data =
        this.chain.ins === apdu.ins ? Buffer.concat([this.chain.data, apdu.data]) : apdu.data;
      this.chain = undefined;
      apdu = { ...apdu, data };
    }
    switch (apdu.ins) {
      case 0xa4:
        return this.select(apdu);
      case 0xcb:
        return this.getData(apdu);
      case 0x20:
        return this.verify(apdu);
      case 0x24:
        return this.changeReference(apdu);
      case 0x2c:
        return this.resetRetryCounter(apdu);
      case 0x87:
        return this.generalAuthenticate(apdu);
      case 0x47:
        return this.generate(apdu);
      case 0xdb:
        return this.putData(apdu);
      case 0xfd:
        return ok(Buffer.from(this.profile.version.split('.').map(Number)));
      case 0xf8: {
        const serial = Buffer.alloc(4);
        serial.writeUInt32BE(Number.parseInt(this.profile.serial, 16) >>> 0);
        return ok(serial);
      }
      case 0xff:
        return this.setManagementKey(apdu);
      default:
        return status(sw.insNotSupported);
    }
  }

  private getResponse(apdu: CommandApdu): Reply {
    if (!this.pending) return status(sw.conditionsNotSatisfied);
    const max = apdu.le || 256;
    const chunk = this.pending.subarray(0, max);
    const rest = this.pending.subarray(max);
    this.pending = rest.length ? rest : undefined;
    // send() would re-split a chunk; build the answer here instead.
    return rest.length ? new Reply(chunk, 0x6100 | (Math.min(rest.length, 256) % 256)) : ok(chunk);
  }

  private select(apdu: CommandApdu): Reply {
    if (apdu.p1 !== 0x04) return status(sw.incorrectP1P2);
    const aid = apdu.data;
    if (
      aid.length >= 5 &&
      aid.length <= pivAid.length &&
      pivAid.subarray(0, aid.length).equals(aid)
    ) {
      this.reset();
      return ok(applicationTemplate);
    }
    return status(sw.notFound);
  }

  private getData(apdu: CommandApdu): Reply {
    if (apdu.p1 !== 0x3f || apdu.p2 !== 0xff) return status(sw.incorrectP1P2);
    const [request] = readAll(apdu.data);
    if (request?.tag !== 0x5c || request.value.length < 1 || request.value.length > 3) {
      return status(sw.wrongData);
    }
    const tag = request.value.readUIntBE(0, request.value.length);
    if (tag === 0x7e) return ok(discoveryObject);
    const stored = this.profile.objects[tag.toString(16)];
    if (!stored) return status(sw.notFound);
    return ok(tlv(0x53, Buffer.from(stored, 'base64')));
  }

  private verify(apdu: CommandApdu): Reply {
    if (apdu.p2 !== keyReferences.pin) return status(sw.referenceNotFound);
    if (apdu.p1 === 0xff) {
      this.pinVerified = false;
      return ok();
    }
    if (apdu.p1 !== 0x00) return status(sw.incorrectP1P2);
    if (apdu.data.length === 0) {
      if (this.profile.pinTries === 0) return status(sw.blocked);
      return this.pinVerified ? ok() : triesLeft(this.profile.pinTries);
    }
    if (apdu.data.length !== 8) return status(sw.wrongData);
    if (this.profile.pinTries === 0) return status(sw.blocked);
    const pin = unpad(apdu.data);
    if (pin === undefined || !same(pin, this.profile.pin)) {
      this.pinVerified = false;
      this.profile.pinTries -= 1;
      this.onChange(this.profile);
      return triesLeft(this.profile.pinTries);
    }
    this.pinVerified = true;
    if (this.profile.pinTries !== this.profile.pinTriesMax) {
      this.profile.pinTries = this.profile.pinTriesMax;
      this.onChange(this.profile);
    }
    return ok();
  }

  private changeReference(apdu: CommandApdu): Reply {
    const which =
      apdu.p2 === keyReferences.pin ? 'pin' : apdu.p2 === keyReferences.puk ? 'puk' : undefined;
    if (!which || apdu.p1 !== 0x00) return status(which ? sw.incorrectP1P2 : sw.referenceNotFound);
    if (apdu.data.length !== 16) return status(sw.wrongData);
    const triesKey = which === 'pin' ? 'pinTries' : 'pukTries';
    if (this.profile[triesKey] === 0) return status(sw.blocked);
    const current = unpad(apdu.data.subarray(0, 8));
    const next = unpad(apdu.data.subarray(8));
    if (current === undefined || !same(current, this.profile[which])) {
      this.profile[triesKey] -= 1;
      this.onChange(this.profile);
      return triesLeft(this.profile[triesKey]);
    }
    if (next === undefined) return status(sw.wrongData);
    this.profile[which] = next;
    this.profile[triesKey] = which === 'pin' ? this.profile.pinTriesMax : this.profile.pukTriesMax;
    this.onChange(this.profile);
    return ok();
  }

  private resetRetryCounter(apdu: CommandApdu): Reply {
    if (apdu.p2 !== keyReferences.pin) return status(sw.referenceNotFound);
    if (apdu.data.length !== 16) return status(sw.wrongData);
    if (this.profile.pukTries === 0) return status(sw.blocked);
    const puk = unpad(apdu.data.subarray(0, 8));
    const pin = unpad(apdu.data.subarray(8));
    if (puk === undefined || !same(puk, this.profile.puk)) {
      this.profile.pukTries -= 1;
      this.onChange(this.profile);
      return triesLeft(this.profile.pukTries);
    }
    if (pin === undefined) return status(sw.wrongData);
    this.profile.pin = pin;
    this.profile.pinTries = this.profile.pinTriesMax;
    this.profile.pukTries = this.profile.pukTriesMax;
    this.onChange(this.profile);
    return ok();
  }

  private generalAuthenticate(apdu: CommandApdu): Reply {
    const [template] = readAll(apdu.data);
    if (template?.tag !== 0x7c) return status(sw.wrongData);
    const items = new Map(readAll(template.value).map((t) => [t.tag, t.value]));
    if (apdu.p2 === keyReferences.management) return this.authenticateManagementKey(apdu.p1, items);
    const slot = keySlots[apdu.p2];
    if (!slot) return status(sw.referenceNotFound);
    const key = this.profile.keys[slot];
    if (!key) return status(sw.notFound);
    if (keyAlgorithms[apdu.p1] !== key.algorithm) return status(sw.incorrectP1P2);
    // The card authentication key (9E) works without a PIN; every other key needs one.
    if (slot !== '9e' && !this.pinVerified) return status(sw.securityNotSatisfied);
    const input = items.get(0x81);
    if (!input || items.get(0x82)?.length !== 0) return status(sw.wrongData);
    const signature = cardSign(key.algorithm, key.pem, input);
    if (!signature) return status(sw.wrongData);
    return ok(tlv(0x7c, tlv(0x82, signature)));
  }

  private authenticateManagementKey(algorithmId: number, items: Map<number, Buffer>): Reply {
    const { algorithm, key: hex } = this.profile.managementKey;
    if (managementAlgorithmOf(algorithmId) !== algorithm) return status(sw.incorrectP1P2);
    const key = Buffer.from(hex, 'hex');
    const size = blockSize(algorithm);
    const witnessAnswer = items.get(0x80);
    const challenge = items.get(0x81);
    const answer = items.get(0x82);
    // Mutual authentication, step 1: the host asks for a witness.
    if (witnessAnswer?.length === 0 && challenge === undefined) {
      this.witness = randomBytes(size);
      this.managementAuthenticated = false;
      return ok(tlv(0x7c, tlv(0x80, encryptBlock(algorithm, key, this.witness))));
    }
    // Step 2: the host shows it decrypted the witness, and challenges the card.
    if (witnessAnswer && witnessAnswer.length === size && challenge?.length === size) {
      const expected = this.witness;
      this.witness = undefined;
      if (!expected || !timingSafeEqual(expected, witnessAnswer))
        return status(sw.securityNotSatisfied);
      this.managementAuthenticated = true;
      return ok(tlv(0x7c, tlv(0x82, encryptBlock(algorithm, key, challenge))));
    }
    // External authentication, step 1: the host asks for a challenge.
    if (challenge?.length === 0) {
      this.challenge = randomBytes(size);
      this.managementAuthenticated = false;
      return ok(tlv(0x7c, tlv(0x81, this.challenge)));
    }
    // Step 2: the host answers it encrypted.
    if (answer && answer.length === size && this.challenge) {
      const expected = encryptBlock(algorithm, key, this.challenge);
      this.challenge = undefined;
      if (!timingSafeEqual(expected, answer)) return status(sw.securityNotSatisfied);
      this.managementAuthenticated = true;
      return ok();
    }
    return status(sw.wrongData);
  }

  private generate(apdu: CommandApdu): Reply {
    if (!this.managementAuthenticated) return status(sw.securityNotSatisfied);
    const slot = keySlots[apdu.p2];
    if (apdu.p1 !== 0x00 || !slot) return status(sw.incorrectP1P2);
    const [control] = readAll(apdu.data);
    if (control?.tag !== 0xac) return status(sw.wrongData);
    const algorithmId = readAll(control.value).find((t) => t.tag === 0x80)?.value[0];
    const algorithm = algorithmId === undefined ? undefined : keyAlgorithms[algorithmId];
    if (!algorithm) return status(sw.functionNotSupported);
    const pem = generateCardKey(algorithm);
    this.profile.keys[slot] = { algorithm, pem };
    this.onChange(this.profile);
    return ok(publicKeyTemplate(algorithm, pem));
  }

  private putData(apdu: CommandApdu): Reply {
    if (!this.managementAuthenticated) return status(sw.securityNotSatisfied);
    if (apdu.p1 !== 0x3f || apdu.p2 !== 0xff) return status(sw.incorrectP1P2);
    const items = readAll(apdu.data);
    const tag = items.find((t) => t.tag === 0x5c)?.value;
    const object = items.find((t) => t.tag === 0x53)?.value;
    if (!tag || tag.length < 1 || tag.length > 3 || object === undefined)
      return status(sw.wrongData);
    const key = tag.readUIntBE(0, tag.length).toString(16);
    if (object.length === 0) delete this.profile.objects[key];
    else this.profile.objects[key] = Buffer.from(object).toString('base64');
    this.onChange(this.profile);
    return ok();
  }

  /** YubiKey's SET MANAGEMENT KEY (INS FF), which yubico-piv-tool's set-mgm-key sends. */
  private setManagementKey(apdu: CommandApdu): Reply {
    if (apdu.p1 !== 0xff || (apdu.p2 !== 0xff && apdu.p2 !== 0xfe)) return status(sw.incorrectP1P2);
    if (!this.managementAuthenticated) return status(sw.securityNotSatisfied);
    const [algorithmId, reference, length] = [apdu.data[0], apdu.data[1], apdu.data[2]];
    const algorithm = algorithmId === undefined ? undefined : managementAlgorithmOf(algorithmId);
    if (!algorithm || reference !== keyReferences.management) return status(sw.wrongData);
    const key = apdu.data.subarray(3);
    if (length !== key.length || key.length !== keyLength(algorithm)) return status(sw.wrongData);
    this.profile.managementKey = { algorithm, key: key.toString('hex') };
    this.onChange(this.profile);
    return ok();
  }
}
