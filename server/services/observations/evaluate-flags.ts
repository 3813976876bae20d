import { and, eq, inArray, isNull, ne } from 'drizzle-orm';
import { cardFlags, cards } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import type { ServiceContext, TxContext } from '../context.ts';
import { daysLeftUntil } from '../dates.ts';
import {
  type Condition,
  certificateDetails,
  type ObservedCard,
  type SeenCertificate,
  seenCertificates,
  userIdOf,
} from './flag-condition.ts';
import { type CardRecord, reconcileCard } from './reconcile-card.ts';

/** Certificates are watched from 90 days before expiry (DOMAIN.md's widest bucket). */
export const expiryWatchDays = 90;

/** What is wrong with a card, as one observation shows it. */
async function conditionsOf(
  ctx: ServiceContext,
  card: ObservedCard,
  seen: SeenCertificate[],
  record: CardRecord | null,
  observedAt: Date,
): Promise<Condition[]> {
  const found: Condition[] = [];
  if (!record) found.push({ kind: 'unknown_card', certificateSha256: '', details: {} });
  found.push(...(await reconcileCard(ctx, { record, card, seen, observedAt })));
  for (const c of seen) {
    const sha = c.sha256.toLowerCase();
    const details = certificateDetails(c);
    const notAfter = new Date(c.notAfter);
    if (notAfter.getTime() <= observedAt.getTime()) {
      found.push({ kind: 'certificate_expired', certificateSha256: sha, details });
    } else if (daysLeftUntil(notAfter, observedAt) <= expiryWatchDays) {
      found.push({ kind: 'certificate_expiring', certificateSha256: sha, details });
    }
  }
  if (card.pin.blocked || card.pin.triesLeft === 0) {
    found.push({ kind: 'pin_blocked', certificateSha256: '', details: {} });
  } else if (card.pin.triesLeft === 1) {
    found.push({ kind: 'pin_last_try', certificateSha256: '', details: {} });
  }
  return found;
}

/** The card's holder: its record's person, else the person whose user ID a certificate names. */
async function holderOf(
  ctx: ServiceContext,
  personId: string | null,
  seen: SeenCertificate[],
): Promise<string | null> {
  if (personId) return personId;
  const ids = seen.flatMap((c) => userIdOf(c) ?? []);
  if (!ids.length) return null;
  const [row] = await ctx.db
    .select({ id: people.id })
    .from(people)
    .where(inArray(people.userId, ids));
  return row?.id ?? null;
}

/**
 * Raises the flags a sighting shows, refreshes those still true, and resolves the open
 * flags of the card that no longer hold. Runs in the observation's transaction.
 */
export async function evaluateFlags(
  ctx: TxContext,
  input: {
    cardSerial: string;
    card: ObservedCard;
    observedAt: Date;
    workstationId: string;
  },
): Promise<{ raised: number; resolved: number }> {
  const [record] = await ctx.db
    .select({
      id: cards.id,
      personId: cards.personId,
      state: cards.state,
      stateReason: cards.stateReason,
      holderUserId: people.userId,
    })
    .from(cards)
    .leftJoin(people, eq(people.id, cards.personId))
    .where(eq(cards.serial, input.cardSerial));
  const seen = seenCertificates(input.card);
  const conditions = await conditionsOf(ctx, input.card, seen, record ?? null, input.observedAt);
  const personId = await holderOf(ctx, record?.personId ?? null, seen);
  const open = await ctx.db
    .select()
    .from(cardFlags)
    .where(
      and(
        eq(cardFlags.cardSerial, input.cardSerial),
        isNull(cardFlags.resolvedAt),
        // A reader cannot see that the holder left: that flag ends when the card comes back.
        ne(cardFlags.kind, 'return_due'),
      ),
    )
    .for('update');
  const key = (f: { kind: string; certificateSha256: string }) =>
    `${f.kind}/${f.certificateSha256}`;
  const wanted = new Map(conditions.map((c) => [key(c), c]));
  const now = ctx.now();
  let raised = 0;
  let resolved = 0;
  for (const flag of open) {
    const still = wanted.get(key(flag));
    if (still) {
      wanted.delete(key(flag));
      await ctx.db
        .update(cardFlags)
        .set({
          lastSeenAt: input.observedAt,
          details: still.details,
          personId,
          workstationId: input.workstationId,
        })
        .where(eq(cardFlags.id, flag.id));
      continue;
    }
    await ctx.db.update(cardFlags).set({ resolvedAt: now }).where(eq(cardFlags.id, flag.id));
    await recordAuditEvent(ctx, {
      action: 'card.flag_resolved',
      subjectType: 'card',
      subjectId: input.cardSerial,
      summary: { kind: flag.kind, certificateSha256: flag.certificateSha256 || null },
    });
    resolved++;
  }
  for (const condition of wanted.values()) {
    await ctx.db.insert(cardFlags).values({
      cardSerial: input.cardSerial,
      kind: condition.kind,
      certificateSha256: condition.certificateSha256,
      personId,
      details: condition.details,
      raisedAt: now,
      lastSeenAt: input.observedAt,
      workstationId: input.workstationId,
    });
    await recordAuditEvent(ctx, {
      action: 'card.flag_raised',
      subjectType: 'card',
      subjectId: input.cardSerial,
      summary: {
        kind: condition.kind,
        certificateSha256: condition.certificateSha256 || null,
        personId,
      },
    });
    raised++;
  }
  return { raised, resolved };
}
