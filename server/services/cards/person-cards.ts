import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import {
  cardFlags,
  cardSightings,
  type cardStates,
  cards,
  certificates,
  type FlagKind,
} from '../../../db/schema/cards.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import type { ServiceContext } from '../context.ts';
import { daysLeftUntil } from '../dates.ts';

export interface PersonCard {
  serial: string;
  cardType: string;
  state: (typeof cardStates)[number];
  certificates: {
    slot: string | null;
    subject: string;
    notAfter: string;
    daysLeft: number;
    revoked: boolean;
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
        revokedAt: certificates.revokedAt,
      })
      .from(certificates)
      .where(inArray(certificates.cardId, ids))
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
          revoked: c.revokedAt !== null,
        })),
      lastSeen: sighting
        ? { at: sighting.at.toISOString(), workstation: sighting.workstation }
        : null,
      openFlags: [...new Set(flags.filter((f) => f.serial === card.serial).map((f) => f.kind))],
    };
  });
}
