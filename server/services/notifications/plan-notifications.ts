import { eq, inArray } from 'drizzle-orm';
import { notificationItems, notifications } from '../../../db/schema/background.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { todayOf } from '../dates.ts';
import { composeDigest, type DigestLinks, sentence } from './compose-digest.ts';
import type { DigestItem, DigestRecipient, NotificationKind } from './digest-items.ts';
import { findDigestItems } from './find-digest-items.ts';

export interface PlanCounts {
  /** Digests written for today (to send, or suppressed). */
  digests: number;
  /** Items they carry. */
  items: number;
  /** Digests suppressed at once (no address on record, or a leaver's card). */
  suppressed: number;
  /** Recipients who already have today's digest of that kind: their new items wait for tomorrow. */
  alreadyToday: number;
}

/**
 * Writes today's digests: for each recipient and capacity, the items not told before, in one
 * notification per (recipient, day, kind). Each digest is its own transaction, so a run
 * killed halfway leaves whole digests; a second run (here or in another process, at once or
 * later) finds the unique key taken and writes nothing twice.
 */
export async function planNotifications(
  ctx: ServiceContext,
  links: DigestLinks,
): Promise<PlanCounts> {
  const counts: PlanCounts = { digests: 0, items: 0, suppressed: 0, alreadyToday: 0 };
  const day = todayOf(ctx.now());
  const addressed = await findDigestItems(ctx);
  if (!addressed.length) return counts;

  const told = new Set<string>();
  const keys = [...new Set(addressed.map((a) => a.item.itemKey))];
  for (let i = 0; i < keys.length; i += 1000) {
    const rows = await ctx.db
      .select({
        recipientKey: notificationItems.recipientKey,
        kind: notificationItems.kind,
        itemKey: notificationItems.itemKey,
      })
      .from(notificationItems)
      .where(inArray(notificationItems.itemKey, keys.slice(i, i + 1000)));
    for (const r of rows) told.add(`${r.recipientKey}|${r.kind}|${r.itemKey}`);
  }

  const groups = new Map<
    string,
    {
      recipient: DigestRecipient;
      kind: NotificationKind;
      items: DigestItem[];
      withheld: { items: DigestItem[]; reason: string | null };
    }
  >();
  for (const a of addressed) {
    const id = `${a.recipient.recipientKey}|${a.kind}`;
    if (told.has(`${id}|${a.item.itemKey}`)) continue;
    const group = groups.get(id) ?? {
      recipient: a.recipient,
      kind: a.kind,
      items: [],
      withheld: { items: [], reason: null },
    };
    const list = a.withheld ? group.withheld.items : group.items;
    if (!list.some((i) => i.itemKey === a.item.itemKey)) list.push(a.item);
    if (a.withheld) group.withheld.reason ??= a.withheld;
    groups.set(id, group);
  }

  for (const group of groups.values()) {
    const { recipient, kind } = group;
    // Items withheld (a leaver's card) are logged as a suppressed digest of their own only
    // when nothing else is due: beside items to tell, they are left out, not told.
    const items = group.items.length ? group.items : group.withheld.items;
    const reason = group.items.length
      ? recipient.email
        ? null
        : 'No email address on record'
      : group.withheld.reason;
    const written = await withTransaction(ctx, async (tx) => {
      const digest = composeDigest(recipient, kind, items, links);
      const [row] = await tx.db
        .insert(notifications)
        .values({
          recipientKey: recipient.recipientKey,
          recipientPersonId: recipient.personId,
          recipientAccountId: recipient.accountId,
          day,
          kind,
          toAddress: recipient.email,
          ...digest,
          status: reason ? 'suppressed' : 'pending',
          suppressedReason: reason,
          createdAt: tx.now(),
        })
        .onConflictDoNothing()
        .returning({ id: notifications.id });
      if (!row) return null;
      const inserted = await tx.db
        .insert(notificationItems)
        .values(
          items.map((i) => ({
            notificationId: row.id,
            recipientKey: recipient.recipientKey,
            kind,
            itemKey: i.itemKey,
            itemKind: i.itemKind,
            personId: i.personId,
            cardId: i.cardId,
            expiresAt: i.expiresAt,
            milestone: i.milestone,
            summary: sentence(i, kind === 'holder'),
          })),
        )
        .onConflictDoNothing()
        .returning({ itemKey: notificationItems.itemKey });
      if (inserted.length === 0) {
        // Another run told every item in a digest of its own day: nothing is left to say.
        await tx.db.delete(notifications).where(eq(notifications.id, row.id));
        return null;
      }
      if (inserted.length < items.length) {
        const kept = new Set(inserted.map((r) => r.itemKey));
        const digest2 = composeDigest(
          recipient,
          kind,
          items.filter((i) => kept.has(i.itemKey)),
          links,
        );
        await tx.db.update(notifications).set(digest2).where(eq(notifications.id, row.id));
      }
      return { items: inserted.length, suppressed: reason !== null };
    });
    if (!written) {
      counts.alreadyToday += 1;
      continue;
    }
    counts.digests += 1;
    counts.items += written.items;
    if (written.suppressed) counts.suppressed += 1;
  }
  return counts;
}
