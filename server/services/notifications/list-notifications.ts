import { and, desc, eq, inArray, or } from 'drizzle-orm';
import { notificationItems, notifications } from '../../../db/schema/background.ts';
import { assertPersonInScope } from '../access/person-access.ts';
import type { ServiceContext } from '../context.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';

/** A notification as a person's page shows it: what, to whom, and how it went. */
export interface NotificationView {
  id: string;
  day: string;
  kind: 'holder' | 'sponsor' | 'ra';
  toAddress: string | null;
  subject: string;
  status: (typeof notifications.$inferSelect)['status'];
  suppressedReason: string | null;
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
  createdAt: Date;
  /** What it told, one sentence each (only those about this person on their page). */
  items: string[];
}

async function views(
  ctx: ServiceContext,
  rows: (typeof notifications.$inferSelect)[],
  aboutPersonId: string | null,
): Promise<NotificationView[]> {
  if (!rows.length) return [];
  const items = await ctx.db
    .select({
      notificationId: notificationItems.notificationId,
      personId: notificationItems.personId,
      summary: notificationItems.summary,
    })
    .from(notificationItems)
    .where(
      inArray(
        notificationItems.notificationId,
        rows.map((r) => r.id),
      ),
    );
  return rows.map((r) => ({
    id: r.id,
    day: r.day,
    kind: r.kind,
    toAddress: r.toAddress,
    subject: r.subject,
    status: r.status,
    suppressedReason: r.suppressedReason,
    attempts: r.attempts,
    lastError: r.lastError,
    sentAt: r.sentAt,
    createdAt: r.createdAt,
    items: items
      .filter(
        (i) =>
          i.notificationId === r.id && (aboutPersonId === null || i.personId === aboutPersonId),
      )
      .map((i) => i.summary),
  }));
}

/**
 * For the RA on a person's page: every notification about the person (their own digests,
 * and the copies their sponsors and the RA got naming them), and any sent to them, newest
 * first. Needs people:read over one of the person's organisations.
 */
export async function listPersonNotifications(
  ctx: ServiceContext,
  personId: string,
  limit = 50,
): Promise<NotificationView[]> {
  await assertPersonInScope(ctx, 'people:read', personId, 'see notifications');
  const about = ctx.db
    .select({ id: notificationItems.notificationId })
    .from(notificationItems)
    .where(eq(notificationItems.personId, personId));
  const rows = await ctx.db
    .select()
    .from(notifications)
    .where(or(eq(notifications.recipientPersonId, personId), inArray(notifications.id, about)))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit);
  return views(ctx, rows, personId);
}

/** What the caller was sent (or would have been), newest first: their own page. */
export async function listMyNotifications(
  ctx: ServiceContext,
  limit = 50,
): Promise<NotificationView[]> {
  const personId = await personIdOfActor(ctx);
  const accountId = ctx.actor?.accountId;
  if (!personId && !accountId) return [];
  const rows = await ctx.db
    .select()
    .from(notifications)
    .where(
      or(
        personId ? eq(notifications.recipientPersonId, personId) : undefined,
        accountId ? and(eq(notifications.recipientAccountId, accountId)) : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit);
  return views(ctx, rows, null);
}
