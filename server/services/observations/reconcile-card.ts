import { and, eq, inArray, or } from 'drizzle-orm';
import { type cardStates, cards, certificates } from '../../../db/schema/cards.ts';
import type { ServiceContext } from '../context.ts';
import {
  type Condition,
  certificateDetails,
  type ObservedCard,
  type SeenCertificate,
  userIdOf,
} from './flag-condition.ts';
import { provenanceOf } from './our-ca-chain.ts';

/** What the RA's records say of the card observed. */
export interface CardRecord {
  id: string;
  personId: string | null;
  state: (typeof cardStates)[number];
  stateReason: string | null;
  /** The recorded holder's 12-digit user ID, when they have one. */
  holderUserId: string | null;
}

/** States in which a card is out with its holder and should hold what we issued for it. */
const issuedStates = new Set<CardRecord['state']>(['active', 'issued_locked', 'blocked']);

interface RecordedCertificate {
  cardId: string | null;
  /** The serial of the card it was issued for. */
  cardSerial: string | null;
  slot: string | null;
  sha256: string;
  current: boolean;
  revocationReason: string | null;
  subject: string;
  issuer: string;
  serialNumber: string;
  notAfter: Date;
}

/** Our records of the certificates seen, and the card's current certificates, in one query. */
async function recordedCertificates(
  ctx: ServiceContext,
  cardId: string | null,
  seen: SeenCertificate[],
): Promise<RecordedCertificate[]> {
  const fingerprints = [...new Set(seen.map((c) => c.sha256.toLowerCase()))];
  const wanted = [
    fingerprints.length ? inArray(certificates.sha256, fingerprints) : undefined,
    cardId ? and(eq(certificates.cardId, cardId), eq(certificates.current, true)) : undefined,
  ].filter((w) => w !== undefined);
  if (!wanted.length) return [];
  return ctx.db
    .select({
      cardId: certificates.cardId,
      cardSerial: cards.serial,
      slot: certificates.slot,
      sha256: certificates.sha256,
      current: certificates.current,
      revocationReason: certificates.revocationReason,
      subject: certificates.subject,
      issuer: certificates.issuer,
      serialNumber: certificates.serialNumber,
      notAfter: certificates.notAfter,
    })
    .from(certificates)
    .leftJoin(cards, eq(cards.id, certificates.cardId))
    .where(or(...wanted));
}

/**
 * A flag about the card itself, from its recorded state. A card in stock or returned is "in
 * use" when a reader sees it holding a certificate: any at all for a card in stock (a blank
 * card read at the RA desk to be issued is not in use); for a returned card, any but the
 * certificates it was issued (revoked when it was cancelled) that it may still hold until it
 * is cleared, so reading it at the desk to clear it raises nothing.
 */
function stateCondition(
  record: CardRecord,
  card: ObservedCard,
  seen: SeenCertificate[],
  recordedHere: (sha256: string) => boolean,
): Condition | null {
  const details = { state: record.state, reason: record.stateReason };
  const flag = (kind: Condition['kind']): Condition => ({ kind, certificateSha256: '', details });
  switch (record.state) {
    // A destroyed card is past cancelled: seeing it in use says the same, louder.
    case 'cancelled':
    case 'destroyed':
      return flag('cancelled_card_in_use');
    case 'suspended':
      return flag('suspended_card_in_use');
    case 'in_stock':
      return card.certificates.length ? flag('stock_card_in_use') : null;
    case 'returned':
      return seen.some((c) => !recordedHere(c.sha256.toLowerCase()))
        ? flag('stock_card_in_use')
        : null;
    default:
      return null;
  }
}

/**
 * Judges one sighting of a card against the records and the CA (issue 10's reconciliation):
 * the card's state, each certificate's record (revoked, issued for another card, never
 * recorded: then its DER's chain to our CA decides between ours, forged and foreign), the
 * card's current certificates slot by slot, and the holder each certificate names. Expiry and
 * PIN are judged by evaluateFlags; this says what the records and the CA make of the rest.
 */
export async function reconcileCard(
  ctx: ServiceContext,
  input: {
    record: CardRecord | null;
    card: ObservedCard;
    seen: SeenCertificate[];
    observedAt: Date;
  },
): Promise<Condition[]> {
  const { record, card, seen } = input;
  const found: Condition[] = [];
  const recorded = await recordedCertificates(ctx, record?.id ?? null, seen);
  const bySha = new Map(recorded.map((r) => [r.sha256, r]));
  if (record) {
    const own = (sha: string) => bySha.get(sha)?.cardId === record.id;
    const onState = stateCondition(record, card, seen, own);
    if (onState) found.push(onState);
  }
  // A revoked certificate is flagged on a card that should be in use (or one we do not know).
  // A card cancelled, returned, in stock or destroyed had its certificates revoked when it was
  // cancelled, and a suspended card's are on hold: the card's own flag (or none, for a card
  // waiting to be cleared) says what to do, so they are not flagged one by one. A hold on a
  // card that is not suspended is flagged: relying parties refuse the certificate meanwhile.
  const live = !record || issuedStates.has(record.state);
  const flagsRevoked = (reason: string) =>
    live || (record?.state === 'suspended' && reason !== 'certificateHold');
  /** Slots whose certificate is already flagged as not rightly this card's. */
  const accounted = new Set<string>();
  const flagCertificate = (kind: Condition['kind'], c: SeenCertificate, more = {}) => {
    found.push({
      kind,
      certificateSha256: c.sha256.toLowerCase(),
      details: { ...certificateDetails(c), ...more },
    });
    accounted.add(c.slot);
  };

  for (const c of seen) {
    const row = bySha.get(c.sha256.toLowerCase());
    if (row) {
      if (row.revocationReason && flagsRevoked(row.revocationReason)) {
        flagCertificate('certificate_revoked', c, { revocationReason: row.revocationReason });
      }
      if (row.cardId && row.cardId !== record?.id) {
        flagCertificate('certificates_differ', c, {
          reason: 'issued_for_another_card',
          issuedForCard: row.cardSerial,
        });
      }
      continue;
    }
    // Not a certificate we recorded. Without its DER (an older agent) or a CA, the records
    // are all there is to go by: not ours.
    const provenance = c.der
      ? await provenanceOf(ctx, { ...c, der: c.der }, input.observedAt)
      : null;
    if (provenance === 'ours') {
      flagCertificate('certificates_differ', c, { reason: 'not_recorded' });
    } else if (provenance === 'not_chaining') {
      flagCertificate('certificate_not_chaining', c);
    } else {
      flagCertificate('foreign_certificate', c);
    }
  }

  // A card out with its holder holds, in each slot, the certificate we last issued for it.
  if (record && issuedStates.has(record.state)) {
    for (const row of recorded) {
      if (row.cardId !== record.id || !row.current || !row.slot) continue;
      if (accounted.has(row.slot)) continue;
      const inSlot = card.certificates.find((e) => e.slot === row.slot);
      if (inSlot && 'error' in inSlot) continue; // unreadable: nothing to compare
      const there = seen.find((c) => c.slot === row.slot);
      if (there?.sha256.toLowerCase() === row.sha256) continue;
      found.push(
        there
          ? {
              kind: 'certificates_differ',
              certificateSha256: there.sha256.toLowerCase(),
              details: {
                ...certificateDetails(there),
                reason: 'not_current',
                expected: row.sha256,
              },
            }
          : {
              kind: 'certificates_differ',
              certificateSha256: row.sha256,
              details: {
                slot: row.slot,
                subject: row.subject,
                issuer: row.issuer,
                serialNumber: row.serialNumber,
                notAfter: row.notAfter.toISOString(),
                sha256: row.sha256,
                reason: 'missing',
              },
            },
      );
    }
  }

  // Each certificate names its holder: it should be the person the card is issued to.
  if (record?.holderUserId) {
    for (const c of seen) {
      const named = userIdOf(c);
      if (named && named !== record.holderUserId) {
        found.push({
          kind: 'holder_differs',
          certificateSha256: c.sha256.toLowerCase(),
          details: { ...certificateDetails(c), namedUserId: named },
        });
      }
    }
  }
  return found;
}
