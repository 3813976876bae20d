import { and, eq, gte, inArray, isNotNull, isNull, lt, lte, ne, sql } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import { accountRoles, accounts } from '../../../db/schema/accounts.ts';
import { cardFlags, cards } from '../../../db/schema/cards.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { ancestorsOf } from '../access/organisation-tree.ts';
import type { ServiceContext } from '../context.ts';
import { addDays, daysLeftUntil, startOfDay, todayOf } from '../dates.ts';
import {
  type DigestItem,
  type DigestRecipient,
  milestoneFor,
  type NotificationKind,
  positionEndingDays,
  raMilestones,
  sponsorMilestones,
} from './digest-items.ts';

/** Cards whose certificates people rely on: issued and not cancelled, returned or destroyed. */
const inUse = ['issued_locked', 'active', 'blocked', 'suspended'] as const;
/** An expiry older than this is not told of at all (a first scan over an old estate). */
const expiredLookbackDays = 30;

/**
 * Why a leaver's card is not told of: their digest is logged as suppressed with these words.
 *
 * A leaver, as the records show one: a person whose record is closed (not scanned at all),
 * or a holder whose card carries an open `return_due` flag, which an applied ESR leaver row
 * raises on every card they still hold as it ends their positions. Such a card is to come
 * back, not be renewed or unlocked, so neither its holder nor their sponsors or the RA are
 * told of its expiry or blocked PIN (the flag is the RA's prompt). A card cancelled as left
 * is no longer in use and is not scanned either. Positions ending elsewhere, for someone
 * who left one organisation but still works for another, are still told.
 */
export const leaverReason =
  'The holder has left: their card is due back (return_due), not to be renewed';

/** Why a digest written before its person's record was closed is not sent. */
export const closedReason = 'The holder has left: their record is closed';

/** One item for one recipient in one capacity. */
export interface AddressedItem {
  recipient: DigestRecipient;
  kind: NotificationKind;
  item: DigestItem;
  /** Set when the item is not to be sent: why (see `leaverReason`). */
  withheld?: string;
}

/** Whether the card has an open `return_due` flag: its holder left (see `leaverReason`). */
export const dueBack = sql<boolean>`exists (select 1 from ${cardFlags} f where f.card_serial = ${cards.serial} and f.kind = 'return_due' and f.resolved_at is null)`;

const personName = (p: { givenName: string; familyName: string }) =>
  `${p.givenName} ${p.familyName}`;

/**
 * Everything due to be told today, addressed: each holder about their own cards and
 * positions, their sponsors about expiries at 30 and 7 days, the RA about expiries on the
 * day. Items already told are filtered later, against the database.
 */
export async function findDigestItems(ctx: ServiceContext): Promise<AddressedItem[]> {
  const now = ctx.now();
  const today = todayOf(now);
  const holderCols = {
    personId: people.id,
    givenName: people.givenName,
    familyName: people.familyName,
    userId: people.userId,
    email: people.email,
  };

  const expiring = await ctx.db
    .select({
      ...holderCols,
      cardId: cards.id,
      serial: cards.serial,
      expiresAt: cards.expiresAt,
      dueBack,
    })
    .from(cards)
    .innerJoin(people, eq(people.id, cards.personId))
    .where(
      and(
        inArray(cards.state, [...inUse]),
        isNotNull(cards.expiresAt),
        lt(cards.expiresAt, startOfDay(addDays(today, 91))),
        gte(cards.expiresAt, startOfDay(addDays(today, -expiredLookbackDays))),
        ne(people.status, 'closed'),
      ),
    );
  const blocked = await ctx.db
    .select({
      ...holderCols,
      cardId: cards.id,
      serial: cards.serial,
      stateChangedAt: cards.stateChangedAt,
      dueBack,
    })
    .from(cards)
    .innerJoin(people, eq(people.id, cards.personId))
    .where(and(eq(cards.state, 'blocked'), ne(people.status, 'closed')));
  const ending = await ctx.db
    .select({
      ...holderCols,
      assignmentId: assignments.id,
      endDate: assignments.endDate,
      positionName: positions.name,
      odsCode: positions.odsCode,
      systems: positions.systems,
    })
    .from(assignments)
    .innerJoin(people, eq(people.id, assignments.personId))
    .innerJoin(positions, eq(positions.id, assignments.positionId))
    .where(
      and(
        isNull(assignments.endedAt),
        gte(assignments.endDate, today),
        lte(assignments.endDate, addDays(today, positionEndingDays)),
        ne(people.status, 'closed'),
      ),
    );

  const holderIds = [...new Set([...expiring, ...blocked, ...ending].map((r) => r.personId))];
  const systems = await systemsHeld(ctx, holderIds, today);
  const items: AddressedItem[] = [];
  const holder = (r: {
    personId: string;
    givenName: string;
    familyName: string;
    email: string | null;
  }): DigestRecipient => ({
    recipientKey: `person:${r.personId}`,
    personId: r.personId,
    accountId: null,
    name: personName(r),
    email: r.email,
  });
  const base = (r: {
    personId: string;
    givenName: string;
    familyName: string;
    userId: string;
  }) => ({
    personId: r.personId,
    personName: personName(r),
    userId: r.userId,
  });

  const copies: { item: DigestItem; kind: NotificationKind }[] = [];
  for (const r of expiring) {
    const expiresAt = r.expiresAt as Date;
    const daysLeft = daysLeftUntil(expiresAt, now);
    const milestone = milestoneFor(daysLeft);
    if (milestone === null) continue;
    const item: DigestItem = {
      ...base(r),
      itemKey: `expiry:${r.cardId}:${expiresAt.toISOString()}:${milestone}`,
      itemKind: 'certificate_expiry',
      cardId: r.cardId,
      cardSerial: r.serial,
      expiresAt,
      milestone,
      daysLeft,
      systems: systems.get(r.personId) ?? [],
      position: null,
    };
    if (r.dueBack) {
      items.push({ recipient: holder(r), kind: 'holder', item, withheld: leaverReason });
      continue;
    }
    items.push({ recipient: holder(r), kind: 'holder', item });
    if (sponsorMilestones.includes(milestone)) copies.push({ item, kind: 'sponsor' });
    if (raMilestones.includes(milestone)) copies.push({ item, kind: 'ra' });
  }
  for (const r of blocked) {
    items.push({
      recipient: holder(r),
      kind: 'holder',
      ...(r.dueBack ? { withheld: leaverReason } : {}),
      item: {
        ...base(r),
        itemKey: `pin-blocked:${r.cardId}:${r.stateChangedAt?.toISOString() ?? ''}`,
        itemKind: 'pin_blocked',
        cardId: r.cardId,
        cardSerial: r.serial,
        expiresAt: null,
        milestone: null,
        daysLeft: null,
        systems: systems.get(r.personId) ?? [],
        position: null,
      },
    });
  }
  for (const r of ending) {
    const endDate = r.endDate as string;
    items.push({
      recipient: holder(r),
      kind: 'holder',
      item: {
        personId: r.personId,
        personName: personName(r),
        userId: r.userId,
        itemKey: `position-ending:${r.assignmentId}:${endDate}`,
        itemKind: 'position_ending',
        cardId: null,
        cardSerial: null,
        expiresAt: null,
        milestone: null,
        daysLeft: null,
        systems: r.systems,
        position: { name: r.positionName, odsCode: r.odsCode, endDate },
      },
    });
  }
  if (copies.length) items.push(...(await addressCopies(ctx, copies)));
  return items;
}

/** The clinical systems each person reaches through the positions they hold today. */
async function systemsHeld(
  ctx: ServiceContext,
  personIds: string[],
  today: string,
): Promise<Map<string, string[]>> {
  const held = new Map<string, string[]>();
  if (!personIds.length) return held;
  const rows = await ctx.db
    .select({ personId: assignments.personId, systems: positions.systems })
    .from(assignments)
    .innerJoin(positions, eq(positions.id, assignments.positionId))
    .where(
      and(
        inArray(assignments.personId, personIds),
        isNull(assignments.endedAt),
        lte(assignments.startDate, today),
        sql`(${assignments.endDate} is null or ${assignments.endDate} >= ${today})`,
      ),
    );
  for (const r of rows) {
    held.set(r.personId, [...new Set([...(held.get(r.personId) ?? []), ...r.systems])]);
  }
  return held;
}

/**
 * The sponsors (role `sponsor`) and RA managers of each holder's organisations, or of the
 * trusts above them, as recipients of their copies; never the holder themself.
 */
async function addressCopies(
  ctx: ServiceContext,
  copies: { item: DigestItem; kind: NotificationKind }[],
): Promise<AddressedItem[]> {
  const holderIds = [...new Set(copies.map((c) => c.item.personId))];
  const orgs = await ctx.db
    .select({ personId: personOrganisations.personId, odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(inArray(personOrganisations.personId, holderIds));
  const lines = await ancestorsOf(
    ctx,
    orgs.map((o) => o.odsCode),
  );
  const reach = new Map<string, Set<string>>();
  for (const o of orgs) {
    const set = reach.get(o.personId) ?? new Set<string>();
    for (const code of lines.get(o.odsCode) ?? [o.odsCode]) set.add(code);
    reach.set(o.personId, set);
  }
  const staff = await ctx.db
    .select({
      accountId: accounts.id,
      displayName: accounts.displayName,
      accountEmail: accounts.email,
      role: accountRoles.role,
      odsCode: accountRoles.odsCode,
      personId: people.id,
      personEmail: people.email,
    })
    .from(accountRoles)
    .innerJoin(accounts, eq(accounts.id, accountRoles.accountId))
    .leftJoin(people, eq(people.accountId, accounts.id))
    .where(
      and(inArray(accountRoles.role, ['sponsor', 'ra_manager']), eq(accounts.status, 'active')),
    );
  const out: AddressedItem[] = [];
  for (const { item, kind } of copies) {
    const role = kind === 'sponsor' ? 'sponsor' : 'ra_manager';
    const orgsOf = reach.get(item.personId) ?? new Set<string>();
    const seen = new Set<string>();
    for (const s of staff) {
      if (s.role !== role || s.personId === item.personId || seen.has(s.accountId)) continue;
      // An RA manager with no organisation is the RA for all.
      const covers = s.odsCode === null ? role === 'ra_manager' : orgsOf.has(s.odsCode);
      if (!covers) continue;
      seen.add(s.accountId);
      out.push({
        kind,
        item,
        recipient: {
          recipientKey: s.personId ? `person:${s.personId}` : `account:${s.accountId}`,
          personId: s.personId,
          accountId: s.accountId,
          name: s.displayName,
          email: s.personEmail ?? s.accountEmail,
        },
      });
    }
  }
  return out;
}
