import { and, eq, sql } from 'drizzle-orm';
import { cardSightings } from '../../../db/schema/cards.ts';
import { cardObservations, workstations } from '../../../db/schema/workstations.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { evaluateFlags } from './evaluate-flags.ts';
import type { ObservationInput } from './observation-input.ts';

/**
 * Stores one observation from a workstation's agent, once: the same idempotency key again
 * answers with the first one and changes nothing. A card's sighting (and so its flags)
 * moves only forward in time: an older observation delivered late is kept, not applied.
 */
export async function recordObservation(
  ctx: ServiceContext,
  workstationId: string,
  input: ObservationInput,
): Promise<{ observationId: number; duplicate: boolean }> {
  return withTransaction(ctx, async (tx) => {
    const observedAt = new Date(input.observedAt);
    const now = tx.now();
    const [inserted] = await tx.db
      .insert(cardObservations)
      .values({
        workstationId,
        idempotencyKey: input.idempotencyKey,
        sequence: input.sequence,
        kind: input.kind,
        reader: input.reader,
        atr: input.atr,
        cardSerial: input.cardSerial,
        observedAt,
        receivedAt: now,
        body: input,
      })
      .onConflictDoNothing()
      .returning({ id: cardObservations.id });
    if (!inserted) {
      const [first] = await tx.db
        .select({ id: cardObservations.id })
        .from(cardObservations)
        .where(
          and(
            eq(cardObservations.workstationId, workstationId),
            eq(cardObservations.idempotencyKey, input.idempotencyKey),
          ),
        );
      if (!first) throw new Error('observation neither inserted nor found');
      return { observationId: first.id, duplicate: true };
    }
    await tx.db
      .update(workstations)
      .set({ lastSeenAt: now })
      .where(eq(workstations.id, workstationId));
    if (input.kind === 'card_inserted' && input.cardSerial && input.card) {
      // Newer-wins, under a row lock, so two workstations reporting one card at once agree.
      const [applied] = await tx.db
        .insert(cardSightings)
        .values({
          cardSerial: input.cardSerial,
          observationId: inserted.id,
          workstationId,
          observedAt,
        })
        .onConflictDoUpdate({
          target: cardSightings.cardSerial,
          set: { observationId: inserted.id, workstationId, observedAt },
          setWhere: sql`${cardSightings.observedAt} <= ${observedAt.toISOString()}::timestamptz`,
        })
        .returning({ serial: cardSightings.cardSerial });
      if (applied) {
        await evaluateFlags(tx, {
          cardSerial: input.cardSerial,
          card: input.card,
          observedAt,
          workstationId,
        });
      }
    }
    return { observationId: inserted.id, duplicate: false };
  });
}
