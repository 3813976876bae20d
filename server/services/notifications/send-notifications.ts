import { and, asc, eq, inArray, isNull, lt, lte, or } from 'drizzle-orm';
import { notificationItems, notifications } from '../../../db/schema/background.ts';
import { cards } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import type { ServiceContext } from '../context.ts';
import { MailUnavailableError } from '../mail/mailer.ts';
import { closedReason, dueBack, leaverReason } from './find-digest-items.ts';

/** Minutes to wait after each failed attempt; after the last, the notice is abandoned. */
export const retryBackoffMinutes = [1, 5, 30, 120] as const;
/** A claim older than this was made by a process that stopped while sending. */
const claimLapseMs = 10 * 60_000;

export interface SendCounts {
  sent: number;
  failed: number;
  abandoned: number;
  suppressed: number;
  interrupted: number;
}

/**
 * Sends every notification due: new ones, and failed ones whose back-off has passed. Each is
 * claimed by one conditional update (pending or failed → sending), so two processes sweeping
 * at once never both send it. One left `sending` by a process that died is marked
 * `interrupted` and not sent again: the mail server may have taken it, and a notice must
 * never go twice.
 */
export async function sendDueNotifications(
  ctx: ServiceContext,
  options: { limit?: number } = {},
): Promise<SendCounts> {
  const counts: SendCounts = { sent: 0, failed: 0, abandoned: 0, suppressed: 0, interrupted: 0 };
  const now = ctx.now();
  const lapsed = await ctx.db
    .update(notifications)
    .set({
      status: 'interrupted',
      lastError:
        'The server stopped while sending it; it is not sent again, so that nobody gets it twice.',
    })
    .where(
      and(
        eq(notifications.status, 'sending'),
        lt(notifications.claimedAt, new Date(now.getTime() - claimLapseMs)),
      ),
    )
    .returning({ id: notifications.id });
  counts.interrupted = lapsed.length;

  const due = await ctx.db
    .select({ id: notifications.id })
    .from(notifications)
    .where(
      and(
        inArray(notifications.status, ['pending', 'failed']),
        or(isNull(notifications.nextAttemptAt), lte(notifications.nextAttemptAt, now)),
      ),
    )
    .orderBy(asc(notifications.createdAt))
    .limit(options.limit ?? 500);
  for (const { id } of due) {
    const outcome = await sendNotification(ctx, id);
    if (outcome) counts[outcome] += 1;
  }
  return counts;
}

/**
 * Why the digest is no longer worth sending, or null: every expiry it tells of has lapsed
 * (the card renewed, or no longer in use), or every card it tells of has since been flagged
 * for return by an ESR leaver row (see `leaverReason`), or the person it tells of has had their record closed since: a
 * leaver is not told to renew.
 */
async function lapsedReason(ctx: ServiceContext, notificationId: string): Promise<string | null> {
  const items = await ctx.db
    .select({
      itemKind: notificationItems.itemKind,
      expiresAt: notificationItems.expiresAt,
      cardExpiresAt: cards.expiresAt,
      cardState: cards.state,
      personStatus: people.status,
      dueBack,
    })
    .from(notificationItems)
    .leftJoin(cards, eq(cards.id, notificationItems.cardId))
    .leftJoin(people, eq(people.id, notificationItems.personId))
    .where(eq(notificationItems.notificationId, notificationId));
  if (!items.length) return null;
  const lapsed = (i: (typeof items)[number]) =>
    i.itemKind === 'certificate_expiry' &&
    (i.cardExpiresAt?.getTime() !== i.expiresAt?.getTime() ||
      !['issued_locked', 'active', 'blocked', 'suspended'].includes(i.cardState ?? ''));
  const closed = (i: (typeof items)[number]) => i.personStatus === 'closed';
  const leaver = (i: (typeof items)[number]) =>
    closed(i) || (i.itemKind !== 'position_ending' && i.dueBack);
  if (!items.every((i) => lapsed(i) || leaver(i))) return null;
  if (items.some(closed)) return closedReason;
  return items.some(leaver)
    ? leaverReason
    : 'The card was renewed (or is no longer in use) before it went';
}

/** Sends one notification if it is still due and nobody else has it; says how it went. */
export async function sendNotification(
  ctx: ServiceContext,
  id: string,
): Promise<keyof SendCounts | null> {
  const now = ctx.now();
  const [claimed] = await ctx.db
    .update(notifications)
    .set({ status: 'sending', claimedAt: now })
    .where(
      and(
        eq(notifications.id, id),
        inArray(notifications.status, ['pending', 'failed']),
        or(isNull(notifications.nextAttemptAt), lte(notifications.nextAttemptAt, now)),
      ),
    )
    .returning();
  if (!claimed) return null;
  const lapsed = await lapsedReason(ctx, id);
  if (lapsed) {
    await ctx.db
      .update(notifications)
      .set({ status: 'suppressed', suppressedReason: lapsed })
      .where(eq(notifications.id, id));
    return 'suppressed';
  }
  const { mailer } = ctx;
  const attempts = claimed.attempts + 1;
  try {
    if (!mailer) throw new MailUnavailableError('No mailer is configured in this process.');
    if (!claimed.toAddress) throw new MailUnavailableError('No email address on record.');
    await mailer.send({
      to: claimed.toAddress,
      subject: claimed.subject,
      text: claimed.text,
      html: claimed.html,
      ...(claimed.ics
        ? {
            attachments: [
              {
                filename: 'smartcard-expiry.ics',
                content: claimed.ics,
                contentType: 'text/calendar',
              },
            ],
          }
        : {}),
    });
  } catch (err) {
    // MailUnavailableError says why in words fit for the log; anything else is named only.
    const why =
      err instanceof MailUnavailableError ? err.message : 'The message could not be sent.';
    const backoff = retryBackoffMinutes[attempts - 1];
    await ctx.db
      .update(notifications)
      .set({
        status: backoff === undefined ? 'abandoned' : 'failed',
        attempts,
        lastError: why,
        nextAttemptAt:
          backoff === undefined ? null : new Date(ctx.now().getTime() + backoff * 60_000),
      })
      .where(eq(notifications.id, id));
    return backoff === undefined ? 'abandoned' : 'failed';
  }
  await ctx.db
    .update(notifications)
    .set({ status: 'sent', attempts, sentAt: ctx.now(), lastError: null, nextAttemptAt: null })
    .where(eq(notifications.id, id));
  return 'sent';
}
