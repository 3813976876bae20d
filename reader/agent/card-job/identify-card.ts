import { objectTags } from '../../piv/constants.ts';
import { find, TlvError } from '../../piv/tlv.ts';
import { cardSerialOf } from '../observation.ts';
import { type CardSession, swText } from './card-session.ts';
import { getData, getSerial, selectPiv } from './piv-commands.ts';

export class CardIdentityError extends Error {
  override name = 'CardIdentityError';
}

/**
 * The card's serial as the agent reports it everywhere (cardSerialOf: the CHUID GUID, else
 * `sn-` and the card's own serial number), read with SELECT and the CHUID alone: two APDUs,
 * three for a card without a GUID. The CHUID is asked for in an extended APDU first, which
 * tells the session whether the card takes them.
 */
export async function identifyCard(session: CardSession): Promise<string> {
  const select = await session.exchange(selectPiv());
  if (select.sw !== 0x9000)
    throw new CardIdentityError(
      `This is not a PIV card (it refused the PIV application: ${swText(select.sw)}).`,
    );
  // Extended first; a card that answers it with anything but the object or "not found"
  // (6700, 6E00, or a card's own way of saying no) is asked again in a short APDU.
  let answer = await session.exchange(getData(objectTags.chuid, true));
  if (answer.sw === 0x9000 || answer.sw === 0x6a82) session.extended = true;
  else {
    session.extended = false;
    answer = await session.exchange(getData(objectTags.chuid, false));
  }
  let guid: string | null = null;
  if (answer.sw === 0x9000) {
    try {
      guid = find(find(answer.data, 0x53) ?? Buffer.alloc(0), 0x34)?.toString('hex') ?? null;
    } catch (err) {
      if (!(err instanceof TlvError)) throw err;
    }
  } else if (answer.sw !== 0x6a82) {
    throw new CardIdentityError(`The card refused to give its CHUID (${swText(answer.sw)}).`);
  }
  const reading = {
    cardType: 'PIV' as const,
    chuid: guid ? { guid, fascn: null, expiry: null } : null,
    serialNumber: null as string | null,
    certificates: [],
    pin: { triesLeft: null, blocked: false, verified: false },
    apdus: session.apdus,
    chuidError: null,
    shortApdus: false,
  };
  let serial = cardSerialOf(reading);
  if (!serial) {
    const r = await session.send(getSerial());
    if (r.sw === 0x9000 && r.data.length === 4)
      reading.serialNumber = String(r.data.readUInt32BE(0));
    serial = cardSerialOf(reading);
  }
  if (!serial)
    throw new CardIdentityError(
      'The card has neither a CHUID nor a serial number: it cannot be identified, so no job can run on it.',
    );
  return serial;
}
