import type { Schemas } from './api/client.ts';
import { count } from './format.ts';

type FlagKind = Schemas['CardFlag']['kind'];

/** Card flags and certificate expiry in words, shared by the flags and person pages. */
export const flagLabels: Record<FlagKind, string> = {
  pin_blocked: 'PIN blocked',
  certificate_expired: 'Certificate expired',
  foreign_certificate: 'Certificate not ours',
  unknown_card: 'Unknown card',
  pin_last_try: 'PIN on last try',
  certificate_expiring: 'Certificate expiring',
  cancelled_card_in_use: 'Cancelled card in use',
  suspended_card_in_use: 'Suspended card in use',
  certificate_revoked: 'Certificate revoked',
  certificate_not_chaining: 'Certificate not from our CA',
  certificates_differ: 'Certificates differ from ours',
  stock_card_in_use: 'Stock card in use',
  holder_differs: 'Holder differs',
  return_due: 'Holder left: card to return',
};

export const flagSeverity: Record<FlagKind, string> = {
  pin_blocked: 'red',
  certificate_expired: 'red',
  foreign_certificate: 'red',
  unknown_card: 'amber',
  pin_last_try: 'amber',
  certificate_expiring: 'amber',
  cancelled_card_in_use: 'red',
  suspended_card_in_use: 'red',
  certificate_revoked: 'red',
  certificate_not_chaining: 'red',
  certificates_differ: 'red',
  stock_card_in_use: 'amber',
  holder_differs: 'red',
  return_due: 'amber',
};

/** "45 days left", "expires today", "expired 1 day ago". */
export function daysWords(days: number) {
  if (days < 0) return `expired ${count(-days, 'day')} ago`;
  if (days === 0) return 'expires today';
  return `${count(days, 'day')} left`;
}

type CardReason = NonNullable<Schemas['Card']['stateReason']>;
type RevocationReason = NonNullable<Schemas['Card']['certificates'][number]['revocationReason']>;

/** Why a card was cancelled or suspended, as a person says it ("Cancelled: lost"). */
export const cardReasonWords: Record<CardReason, string> = {
  lost: 'lost',
  stolen: 'stolen',
  damaged: 'damaged',
  left: 'the holder left',
  replaced: 'replaced by another card',
  reported_missing: 'reported missing',
};

/** The RFC 5280 reason a certificate was revoked with, in words. */
export const revocationWords: Record<RevocationReason, string> = {
  keyCompromise: 'key compromise',
  affiliationChanged: 'holder left',
  superseded: 'replaced',
  cessationOfOperation: 'no longer in use',
  certificateHold: 'on hold',
};

/**
 * What the flags list says when a filter finds none: only open flags are something to act on,
 * and a kind chosen is named, so "none" is not read as "none at all".
 */
export function noFlagsMessage(status: 'open' | 'resolved' | 'all', kind: FlagKind | ''): string {
  const which = kind ? `‘${flagLabels[kind]}’ flags` : 'flags';
  if (status === 'open') return `No open ${which}: nothing to act on.`;
  if (status === 'resolved') return `No resolved ${which}.`;
  return `No ${which}, open or resolved.`;
}
