import type { FlagKind } from './api/types.ts';

/** Card flags and certificate expiry in words, shared by the flags and person pages. */
export const flagLabels: Record<FlagKind, string> = {
  pin_blocked: 'PIN blocked',
  certificate_expired: 'Certificate expired',
  foreign_certificate: 'Certificate not ours',
  unknown_card: 'Unknown card',
  pin_last_try: 'PIN on last try',
  certificate_expiring: 'Certificate expiring',
};

export const flagSeverity: Record<FlagKind, string> = {
  pin_blocked: 'red',
  certificate_expired: 'red',
  foreign_certificate: 'red',
  unknown_card: 'amber',
  pin_last_try: 'amber',
  certificate_expiring: 'amber',
};

export function daysWords(days: number) {
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  if (days === 0) return 'expires today';
  return `${days} day${days === 1 ? '' : 's'} left`;
}
