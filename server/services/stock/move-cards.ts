import { eq, inArray, sql } from 'drizzle-orm';
import { cardLocations, cards } from '../../../db/schema/cards.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { type FieldProblem, ValidationError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { type CardLocationView, findStockLocation, stockScope } from './card-locations.ts';

/** The most cards one move takes (a box of blanks): each is its own audit event. */
export const maxMoveCards = 1000;

/** Only cards on a shelf move: blank ones, and returned ones awaiting clearing or disposal. */
const movable = new Set(['in_stock', 'returned']);

const stateWords: Record<string, string> = {
  issued_locked: 'issued',
  active: 'issued',
  blocked: 'issued',
  suspended: 'suspended',
  cancelled: 'cancelled',
  destroyed: 'destroyed',
};

export interface MoveCardsResult {
  moved: number;
  /** Cards that were at the location already. */
  unchanged: number;
  location: CardLocationView;
}

/**
 * Moves cards in stock or returned to a location where the caller manages stock, each card
 * audited (its own history shows the move). A card is the caller's when its location is in
 * their organisations (or, having none, its holder works there); any other serial is
 * answered as one this RA does not know. Every problem is named at once and nothing moves.
 */
export async function moveCards(
  ctx: ServiceContext,
  input: { serials: string[]; locationId: string },
): Promise<MoveCardsResult> {
  return withTransaction(ctx, async (tx) => {
    const target = await findStockLocation(tx, input.locationId);
    const scope = await stockScope(tx);
    const asked = new Map<string, number>();
    input.serials.forEach((s, i) => {
      if (!asked.has(s.toLowerCase())) asked.set(s.toLowerCase(), i);
    });
    const rows = await tx.db
      .select({
        id: cards.id,
        serial: cards.serial,
        state: cards.state,
        personId: cards.personId,
        locationId: cards.locationId,
        location: cardLocations.name,
        odsCode: cardLocations.odsCode,
      })
      .from(cards)
      .leftJoin(cardLocations, eq(cardLocations.id, cards.locationId))
      .where(inArray(sql`lower(${cards.serial})`, [...asked.keys()]))
      .for('update', { of: cards });
    const holders = [
      ...new Set(rows.filter((r) => !r.odsCode && r.personId).map((r) => r.personId as string)),
    ];
    const holderOrgs = new Map<string, string[]>();
    if (holders.length && !scope.all) {
      const orgRows = await tx.db
        .select({ personId: personOrganisations.personId, odsCode: personOrganisations.odsCode })
        .from(personOrganisations)
        .where(inArray(personOrganisations.personId, holders));
      for (const r of orgRows)
        holderOrgs.set(r.personId, [...(holderOrgs.get(r.personId) ?? []), r.odsCode]);
    }
    const ours = (r: (typeof rows)[number]) => {
      if (scope.all) return true;
      if (r.odsCode) return scope.odsCodes.has(r.odsCode);
      // A blank card kept nowhere (cleared back to stock from an issue that had no location)
      // is put somewhere by anyone who manages stock, as the cards list shows it to them.
      if (!r.personId) return scope.odsCodes.size > 0;
      return (holderOrgs.get(r.personId ?? '') ?? []).some((o) => scope.odsCodes.has(o));
    };
    const bySerial = new Map(rows.map((r) => [r.serial.toLowerCase(), r]));
    const problems: FieldProblem[] = [];
    const moving: typeof rows = [];
    let unchanged = 0;
    for (const [folded, index] of asked) {
      const card = bySerial.get(folded);
      const serial = input.serials[index] ?? folded;
      const field = `serials.${index}`;
      if (!card || !ours(card)) {
        problems.push({
          field,
          message: `there is no card ${serial} in your organisations' stock`,
        });
      } else if (!movable.has(card.state)) {
        problems.push({
          field,
          message: `card ${card.serial} is ${stateWords[card.state] ?? card.state}: only cards in stock or returned can move`,
        });
      } else if (card.locationId === target.id) {
        unchanged++;
      } else {
        moving.push(card);
      }
    }
    if (problems.length) throw ValidationError.of(problems, 'these cards can move');
    if (moving.length) {
      const now = tx.now();
      await tx.db
        .update(cards)
        .set({ locationId: target.id, updatedAt: now })
        .where(
          inArray(
            cards.id,
            moving.map((c) => c.id),
          ),
        );
      for (const card of moving) {
        await recordAuditEvent(tx, {
          action: 'card.moved',
          subjectType: 'card',
          subjectId: card.serial,
          summary: {
            fromLocation: card.location ? `${card.location} (${card.odsCode})` : null,
            toLocation: `${target.name} (${target.organisation.odsCode})`,
            odsCode: target.organisation.odsCode,
            state: card.state,
          },
        });
      }
    }
    return { moved: moving.length, unchanged, location: target };
  });
}
