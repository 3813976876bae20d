import { and, gt, inArray, lt, lte, type SQL } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import { addDays, startOfDay, todayOf } from '../dates.ts';
import type { CardState } from './card-lifecycle.ts';

/** The expiry buckets of DOMAIN.md: expired, and expiring within 7, 30, 60 or 90 days. */
export const expiryBuckets = ['expired', '7', '30', '60', '90'] as const;
export type ExpiryBucket = (typeof expiryBuckets)[number];

/**
 * The cards whose expiry is watched: those still with their holder, or thought to be, whose
 * certificates are live or on hold. A card in stock has none; a cancelled, returned or
 * destroyed card's certificates are revoked for good, and its expiry calls for nothing.
 */
export const cardsInUse = [
  'issued_locked',
  'active',
  'blocked',
  'suspended',
] as const satisfies readonly CardState[];

/**
 * The bucket's condition on `cards`, on the card's own `expires_at` (the earliest notAfter
 * of its certificates in force, kept on the row by the CA's verbs) and state, so an index on
 * (state, expires_at) or on expires_at answers it without reading a certificate.
 *
 * The buckets are cumulative, as the days are counted on the card's page
 * (`daysLeftUntil`, the trust's calendar): `expired` is an expiry at or before now; `N` is
 * an expiry after now with at most N days left, that is before the start of the trust's day
 * today + N + 1. So "within 30 days" includes those within 7, and no expired card is in any
 * "within" bucket.
 */
export function expiryCondition(bucket: ExpiryBucket, now: Date): SQL {
  const inUse = inArray(cards.state, [...cardsInUse]);
  if (bucket === 'expired') return and(inUse, lte(cards.expiresAt, now)) as SQL;
  return and(inUse, gt(cards.expiresAt, now), lt(cards.expiresAt, expiryLimit(bucket, now))) as SQL;
}

/** The first instant that no longer has at most `days` days left: the start of today + days + 1. */
export function expiryLimit(days: Exclude<ExpiryBucket, 'expired'>, now: Date): Date {
  return startOfDay(addDays(todayOf(now), Number(days) + 1));
}
