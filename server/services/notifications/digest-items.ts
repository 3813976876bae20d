import type { notificationItemKinds, notificationKinds } from '../../../db/schema/background.ts';

export type NotificationKind = (typeof notificationKinds)[number];
export type NotificationItemKind = (typeof notificationItemKinds)[number];

/** The days before expiry at which holders are told; 0 is the day it expires (or has). */
export const expiryMilestones = [90, 60, 30, 7, 0] as const;
/** The milestones at which the holder's sponsors get their copy. */
export const sponsorMilestones: readonly number[] = [30, 7];
/** The milestone at which the RA is told. */
export const raMilestones: readonly number[] = [0];
/** Positions ending within this many days are told of. */
export const positionEndingDays = 14;

/** One thing a digest tells, as the scan found it. */
export interface DigestItem {
  itemKey: string;
  itemKind: NotificationItemKind;
  personId: string;
  personName: string;
  userId: string;
  cardId: string | null;
  cardSerial: string | null;
  /** The card's expiry this item is about. */
  expiresAt: Date | null;
  milestone: number | null;
  /** Days left on the day of the scan (certificate expiry only; negative once expired). */
  daysLeft: number | null;
  /** Clinical systems the person will lose (certificate expiry, blocked PIN) or the position opens. */
  systems: string[];
  position: { name: string; odsCode: string; endDate: string } | null;
}

/** Who a digest goes to. */
export interface DigestRecipient {
  recipientKey: string;
  personId: string | null;
  accountId: string | null;
  name: string;
  email: string | null;
}

/**
 * The milestone a certificate with `daysLeft` has reached: the smallest of 90, 60, 30, 7 at
 * or above it, 0 on or after the day it expires, null while more than 90 days remain. A day
 * the scan missed is caught up the next day (the milestone is still reached), never told twice.
 */
export function milestoneFor(daysLeft: number): number | null {
  if (daysLeft <= 0) return 0;
  let reached: number | null = null;
  for (const m of expiryMilestones) if (m > 0 && daysLeft <= m) reached = m;
  return reached;
}
