import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import {
  cardFlags,
  cardSightings,
  type cardStates,
  cards,
  certificates,
  type FlagKind,
  type revocationReasons,
} from '../../../db/schema/cards.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import type { ServiceContext } from '../context.ts';
import { daysLeftUntil } from '../dates.ts';

export type CertificateStatus = 'valid' | 'on_hold' | 'revoked';
type RevocationReason = (typeof revocationReasons)[number];

export interface PersonCard {
  serial: string;
  cardType: string;
  state: (typeof cardStates)[number];
  certificates: {
    slot: string | null;
    subject: string;
    notAfter: string;
    daysLeft: number;
    /** Hex serial number, as the CRL and OCSP name it. */
    serialNumber: string;
    /** Revoked or on hold: not to be trusted now. */
    revoked: boolean;
    /** `valid`, `on_hold` (certificateHold: the card may come back) or `revoked` for good. */
    status: CertificateStatus;
    /** The RFC 5280 reason it is revoked or held with; null while valid. */
    revocationReason: RevocationReason | null;
    revokedAt: string | null;
  }[];
  lastSeen: { at: string; workstation: string } | null;
  openFlags: FlagKind[];
}

/**
 * The cards this RA holds for a person: state, certificates with days left, where a
 * reader last saw each, and its open flags. What a person's page shows, and "My profile".
 */
export async function listPersonCards(
  ctx: ServiceContext,
  personId: string,
): Promise<PersonCard[]> {
  const held = await ctx.db
    .select({ id: cards.id, serial: cards.serial, cardType: cards.cardType, state: cards.state })
    .from(cards)
    .where(eq(cards.personId, personId))
    .orderBy(asc(cards.createdAt));
  return describeCards(ctx, held);
}

/** What the RA knows of these cards: certificates and their status, last sighting, open flags. */
export async function describeCards(
  ctx: ServiceContext,
  held: { id: string; serial: string; cardType: string; state: PersonCard['state'] }[],
): Promise<PersonCard[]> {
  if (!held.length) return [];
  const ids = held.map((c) => c.id);
  const serials = held.map((c) => c.serial);
  const [certs, seen, flags] = await Promise.all([
    ctx.db
      .select({
        cardId: certificates.cardId,
        slot: certificates.slot,
        subject: certificates.subject,
        notAfter: certificates.notAfter,
        serialNumber: certificates.serialNumber,
        revokedAt: certificates.revokedAt,
        revocationReason: certificates.revocationReason,
      })
      .from(certificates)
      // What is on the card now: a renewed certificate, or one of a card cleared back to
      // stock, stays recorded (and on the CRL) but is no longer the card's.
      .where(and(inArray(certificates.cardId, ids), eq(certificates.current, true)))
      .orderBy(asc(certificates.slot), asc(certificates.notAfter)),
    ctx.db
      .select({
        serial: cardSightings.cardSerial,
        at: cardSightings.observedAt,
        workstation: workstations.name,
      })
      .from(cardSightings)
      .innerJoin(workstations, eq(workstations.id, cardSightings.workstationId))
      .where(inArray(cardSightings.cardSerial, serials)),
    ctx.db
      .select({ serial: cardFlags.cardSerial, kind: cardFlags.kind })
      .from(cardFlags)
      .where(and(inArray(cardFlags.cardSerial, serials), isNull(cardFlags.resolvedAt))),
  ]);
  const now = ctx.now();
  return held.map((card) => {
    const sighting = seen.find((s) => s.serial === card.serial);
    return {
      serial: card.serial,
      cardType: card.cardType,
      state: card.state,
      certificates: certs
        .filter((c) => c.cardId === card.id)
        .map((c) => ({
          slot: c.slot,
          subject: c.subject,
          notAfter: c.notAfter.toISOString(),
          daysLeft: daysLeftUntil(c.notAfter, now),
          serialNumber: c.serialNumber,
          revoked: c.revokedAt !== null,
          status: statusOf(c.revokedAt, c.revocationReason),
          revocationReason: c.revokedAt ? c.revocationReason : null,
          revokedAt: c.revokedAt?.toISOString() ?? null,
        })),
      lastSeen: sighting
        ? { at: sighting.at.toISOString(), workstation: sighting.workstation }
        : null,
      openFlags: [...new Set(flags.filter((f) => f.serial === card.serial).map((f) => f.kind))],
    };
  });
}

function statusOf(revokedAt: Date | null, reason: RevocationReason | null): CertificateStatus {
  if (!revokedAt) return 'valid';
  return reason === 'certificateHold' ? 'on_hold' : 'revoked';
}
