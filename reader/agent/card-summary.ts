import { cardSerialOf } from './observation.ts';
import type { PivReading } from './read-piv-card.ts';

/** What the "Check my card" page shows a card holder: no keys, no PINs, nothing secret. */
export interface CardSummary {
  reader: string;
  /** The card's identity as the server knows it (cardSerialOf), so the page can name the card in a job. */
  serial: string | null;
  cardType: string;
  holder: { name: string | null; userId: string | null };
  expiresAt: string | null;
  daysLeft: number | null;
  pin: { triesLeft: number | null; blocked: boolean };
  unreadableSlots: string[];
}

/** The holder, expiry and PIN state of a reading, from its authentication certificate. */
export function summariseCard(reader: string, reading: PivReading, now = new Date()): CardSummary {
  const certificates = reading.certificates.flatMap((c) =>
    'certificate' in c ? [{ slot: c.slot, ...c.certificate }] : [],
  );
  // The PIV authentication certificate (9A) is the one clinical systems log in with.
  const main = certificates.find((c) => c.slot === '9a') ?? certificates[0];
  const cn = main ? (/(?:^|, )CN=([^,]+)/.exec(main.subject)?.[1] ?? null) : null;
  const userId = main?.upn ? (/^(\d{12})@/.exec(main.upn)?.[1] ?? null) : null;
  const expiresAt = main?.notAfter ?? null;
  return {
    reader,
    serial: cardSerialOf(reading),
    cardType: reading.cardType,
    holder: { name: cn, userId },
    expiresAt,
    daysLeft: expiresAt ? Math.floor((Date.parse(expiresAt) - now.getTime()) / 86_400_000) : null,
    pin: { triesLeft: reading.pin.triesLeft, blocked: reading.pin.blocked },
    unreadableSlots: reading.certificates.flatMap((c) => ('error' in c ? [c.slot] : [])),
  };
}
