import { type PivReading, usableGuid } from './read-piv-card.ts';

/**
 * What the agent tells the server about one event in one reader. The server's contract is
 * POST /api/agent/observations; never a PIN, a key or a credential.
 */
export interface Observation {
  kind: 'card_inserted' | 'card_removed' | 'card_unreadable';
  observedAt: string;
  reader: string;
  atr: string | null;
  /** cardSerialOf the reading; on card_removed, the card that left. */
  cardSerial: string | null;
  /** chuidError is sent only when the CHUID could not be read, so older servers see no change. */
  card:
    | (Pick<PivReading, 'cardType' | 'chuid' | 'certificates' | 'pin'> & { chuidError?: string })
    | null;
  error: string | null;
}

/** An observation as queued and sent: numbered in order, and keyed so a resend is harmless. */
export interface QueuedObservation extends Observation {
  idempotencyKey: string;
  sequence: number;
}

/**
 * The card's identity: its CHUID GUID in lower-case hex, else `sn-` and the card's own
 * serial number, else null when it has neither to go by.
 */
export function cardSerialOf(reading: PivReading): string | null {
  return (
    usableGuid(reading.chuid?.guid) ?? (reading.serialNumber ? `sn-${reading.serialNumber}` : null)
  );
}

export function insertedObservation(
  reader: string,
  atr: Buffer,
  reading: PivReading,
  at: Date,
): Observation {
  const cardSerial = cardSerialOf(reading);
  if (!cardSerial) {
    return unreadableObservation(
      reader,
      atr,
      'the card has neither a CHUID nor a serial number: it cannot be identified',
      at,
    );
  }
  const { cardType, chuid, chuidError, certificates, pin } = reading;
  return {
    kind: 'card_inserted',
    observedAt: at.toISOString(),
    reader,
    atr: atr.toString('hex'),
    cardSerial,
    card: {
      cardType,
      chuid,
      ...(chuidError ? { chuidError: chuidError.slice(0, 500) } : {}),
      certificates,
      pin,
    },
    error: null,
  };
}

export function unreadableObservation(
  reader: string,
  atr: Buffer,
  error: string,
  at: Date,
): Observation {
  return {
    kind: 'card_unreadable',
    observedAt: at.toISOString(),
    reader,
    atr: atr.toString('hex'),
    cardSerial: null,
    card: null,
    error: error.slice(0, 500),
  };
}

export function removedObservation(
  reader: string,
  cardSerial: string | null,
  at: Date,
): Observation {
  return {
    kind: 'card_removed',
    observedAt: at.toISOString(),
    reader,
    atr: null,
    cardSerial,
    card: null,
    error: null,
  };
}
