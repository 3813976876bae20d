import type { Transmit } from '../read-piv-card.ts';
import { getResponse } from './piv-commands.ts';

/** A card's answer: its data (GET RESPONSE pieces joined) and the final status word. */
export interface CardAnswer {
  data: Buffer;
  sw: number;
}

/** The card could not be reached: taken out, reset, or the reader or pcscd went away. */
export class CardUnreachableError extends Error {
  override name = 'CardUnreachableError';
  /** Taken out of the reader (or reset by someone else), as PC/SC tells it. */
  readonly removed: boolean;
  constructor(cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(message);
    // pcsclite: "SCardTransmit error: Card was removed.(0x80100069)"; also reset, no card,
    // and the reader gone (SCARD_E_NO_SMARTCARD 0x8010000C, SCARD_W_RESET_CARD 0x80100068).
    this.removed = /removed|no smart ?card|reset|8010006[89]|8010000c|not connected/i.test(message);
  }
}

/** The card answered something that is not a response APDU. */
export class CardAnswerError extends Error {
  override name = 'CardAnswerError';
}

const largestAnswer = 64 * 1024;

/**
 * One job's conversation with a card: counts every APDU it sends (GET RESPONSEs and chained
 * pieces too), follows 61xx with GET RESPONSE, and remembers whether the card takes
 * extended-length APDUs once it has found out.
 */
export class CardSession {
  apdus = 0;
  /** Undefined until a command has shown it. */
  extended: boolean | undefined;

  private readonly transmit: Transmit;

  constructor(transmit: Transmit) {
    this.transmit = transmit;
  }

  /** Sends one APDU as it is; the answer's data and status word. */
  async send(apdu: Buffer): Promise<CardAnswer> {
    this.apdus += 1;
    let raw: Buffer;
    try {
      raw = await this.transmit(apdu);
    } catch (err) {
      throw new CardUnreachableError(err);
    }
    if (raw.length < 2)
      throw new CardAnswerError(`the card answered ${raw.length} bytes: not an APDU response`);
    return { data: raw.subarray(0, raw.length - 2), sw: raw.readUInt16BE(raw.length - 2) };
  }

  /** Sends one APDU and fetches the rest of its answer while the card says 61xx. */
  async exchange(apdu: Buffer): Promise<CardAnswer> {
    let answer = await this.send(apdu);
    const parts = [answer.data];
    let total = answer.data.length;
    while (answer.sw >> 8 === 0x61) {
      answer = await this.send(getResponse(answer.sw & 0xff));
      parts.push(answer.data);
      total += answer.data.length;
      if (total > largestAnswer) throw new CardAnswerError('the card sent more than 64 KiB');
    }
    return { data: Buffer.concat(parts), sw: answer.sw };
  }
}

/** The status word in hex, as the card's manual prints it: 6A82. */
export const swText = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

/** Answers that mean "I do not take extended-length APDUs" (wrong length, CLA or INS). */
export const refusesExtended = (sw: number) => sw === 0x6700 || sw === 0x6e00 || sw === 0x6d00;
