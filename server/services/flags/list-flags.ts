import { and, eq, inArray, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import {
  cardFlags,
  cardFlagTallies,
  cards,
  type FlagKind,
  flagNotAfterKey,
  flagUrgency,
} from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import { actorScope } from '../access/actor-scope.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import { holderIn } from '../cards/holder-ods.ts';
import type { ServiceContext } from '../context.ts';
import { daysLeftUntil, displayDate, todayOf } from '../dates.ts';
import { encodeCursor } from '../paging/page-cursor.ts';
import { readTogether } from '../read-together.ts';
import {
  afterCursor,
  decodeFlagCursor,
  flagListOrder,
  ofKind,
  openFlagsBySet,
} from './open-flags-by-set.ts';

const raRoles = new Set(['ra_manager', 'ra_agent_advanced', 'ra_agent']);

export interface FlagView {
  id: string;
  kind: FlagKind;
  status: 'open' | 'resolved';
  raisedAt: string;
  resolvedAt: string | null;
  lastSeenAt: string;
  card: { serial: string; cardType: string; known: boolean };
  certificate: null | {
    slot: string;
    subject: string;
    issuer: string;
    serialNumber: string;
    notAfter: string;
    sha256: string;
  };
  daysLeft: number | null;
  bucket: 'expired' | '7' | '30' | '60' | '90' | null;
  person: null | { id: string; userId: string; displayName: string };
  systems: string[];
  action: string;
  summary: string;
  /** The workstation that saw it; null for a flag no reader raised (`return_due`). */
  workstation: { id: string; name: string } | null;
}

/** What resolves each flag, and who may do it (DOMAIN.md's roles). */
export const flagActions: Record<FlagKind, string> = {
  unknown_card:
    'Not a card this RA knows: an RA agent checks who holds it, then records it in stock or takes it back.',
  foreign_certificate:
    'A certificate this RA did not issue: an RA agent checks the card and cancels it if it is not ours.',
  certificate_expired:
    'Expired: the holder comes to the RA desk in person for an RA agent to renew it.',
  certificate_expiring:
    'Renew now: the holder, their sponsor or an LSA can renew inside the 90-day window.',
  pin_blocked:
    'PIN blocked: an LSA, sponsor or RA agent unlocks it with the card present, or the holder unlocks it with a one-time code.',
  pin_last_try:
    'One PIN try left: remind the holder; if they have forgotten it, unlock and set a new PIN before it blocks.',
  cancelled_card_in_use:
    'A cancelled card is still in use: an RA agent takes it back from whoever has it; its certificates are already revoked.',
  suspended_card_in_use:
    'A card reported missing has turned up: if it is with its holder, an RA agent reinstates it; if not, cancels it as lost or stolen.',
  certificate_revoked:
    'A revoked certificate on a card still in use: an RA agent checks the card and cancels or renews it.',
  certificate_not_chaining:
    'A certificate that names this RA’s CA but was not signed by it (forged or corrupted): an RA agent takes the card back, cancels it if it is ours, and issues a new one.',
  certificates_differ:
    'The card holds certificates other than those this RA issued for it: an RA agent cancels it (it may have been tampered with) and issues a new one.',
  stock_card_in_use:
    'A card in stock (or returned) is in use: an RA manager finds out who has it, then takes it back to clear it or has it issued to them.',
  holder_differs:
    'The card’s certificate names someone other than its recorded holder: an RA agent checks both people and cancels the card if it is not theirs.',
  return_due:
    'The holder has left (ESR): an RA agent cancels the card as left (its certificates are revoked, which ends this flag) and records it returned when it comes back.',
};

const slotNames: Record<string, string> = {
  '9a': 'Authentication certificate',
  '9c': 'Signing certificate',
  '9d': 'Key management certificate',
  '9e': 'Card authentication certificate',
};

const urgency = flagUrgency(cardFlags.kind);
const notAfterKey = flagNotAfterKey(cardFlags.details);

function bucketOf(days: number): FlagView['bucket'] {
  if (days < 0) return 'expired';
  for (const b of [7, 30, 60, 90] as const) if (days <= b) return String(b) as FlagView['bucket'];
  return null;
}

function summaryOf(
  kind: FlagKind,
  certificate: FlagView['certificate'],
  days: number | null,
  details: Record<string, unknown>,
) {
  const what = certificate ? (slotNames[certificate.slot] ?? 'Certificate') : 'Card';
  switch (kind) {
    case 'unknown_card':
      return 'A card this RA does not know';
    case 'foreign_certificate':
      return `${what} not issued by this RA`;
    case 'certificate_expired':
    case 'certificate_expiring':
      if (days === null) return `${what} expiring`;
      if (days < 0) return `${what} expired ${-days} day${days === -1 ? '' : 's'} ago`;
      return days === 0
        ? `${what} expires today`
        : `${what} expires in ${days} day${days === 1 ? '' : 's'}`;
    case 'pin_blocked':
      return 'PIN blocked';
    case 'pin_last_try':
      return 'PIN on its last try';
    case 'cancelled_card_in_use':
      return details.state === 'destroyed' ? 'A destroyed card in use' : 'A cancelled card in use';
    case 'suspended_card_in_use':
      return 'A suspended card in use';
    case 'certificate_revoked':
      return details.revocationReason === 'certificateHold' ? `${what} on hold` : `${what} revoked`;
    case 'certificate_not_chaining':
      return `${what} names this RA’s CA but was not signed by it`;
    case 'certificates_differ':
      switch (details.reason) {
        case 'issued_for_another_card':
          return `${what} was issued for another card`;
        case 'not_recorded':
          return `${what} signed by this RA’s CA was never recorded for the card`;
        case 'missing':
          return `${what} this RA issued for the card is missing`;
        default:
          return `${what} is not the one this RA issued for the card`;
      }
    case 'stock_card_in_use':
      return details.state === 'returned' ? 'A returned card in use' : 'A card in stock in use';
    case 'holder_differs':
      return `${what} names someone other than the holder`;
    case 'return_due':
      return typeof details.endDate === 'string'
        ? `The holder left on ${displayDate(details.endDate)}: card to be returned`
        : 'The holder left: card to be returned';
  }
}

export interface ListFlagsInput {
  status?: 'open' | 'resolved' | 'all';
  kind?: FlagKind;
  cursor?: string;
  limit?: number;
  /**
   * How a caller with organisations has their open flags read: holder set by holder set
   * (the default: a page of 50 of a trust's 1,500 reads 3 sets' first 51, not every flag), or
   * in the list's order, the planner's choice (`inOrder`: the worklist's first 5, which the
   * order index or a small sort finds sooner than walking every set: its p50 at national
   * scale was 5 ms longer by set, 38 against 32 ms for a trust's RA manager).
   */
  read?: 'bySet' | 'inOrder';
}

/**
 * Whose flags the caller may see: `codes` null, every flag (a national caller); otherwise
 * those of people in these organisations and, for RA staff (`unheld`), flags with no known
 * holder seen at these organisations' workstations. `false`: none at all.
 */
async function flagReach(
  ctx: ServiceContext,
): Promise<{ codes: string[] | null; unheld: boolean } | false> {
  const scope = (await actorScope(ctx)).of('cards:read');
  if (scope.all) return { codes: null, unheld: true };
  const codes = [...scope.odsCodes].sort();
  if (!codes.length) return false;
  // A card with no known holder is RA work: RA staff see those seen on their organisations'
  // workstations; sponsors and LSAs do not.
  const raStaff = (ctx.actor?.roles ?? []).some((r) => raRoles.has(r.role));
  return { codes, unheld: raStaff };
}

/**
 * The flags the caller may see, as a condition on card_flags joined to workstations: RA roles
 * see every flag; a sponsor or LSA those of people in their organisations. `null`: no limit.
 */
function flagsInScope(codes: string[] | null, unheld: boolean): SQL | null {
  if (!codes) return null;
  // Each flag carries its holder's organisations (holder_ods, kept by triggers), found
  // through card_flags_holder_idx: a trust's 1,500 open flags among the nation's 58,000,
  // without asking person_organisations flag by flag.
  const ofTheirPeople = holderIn(cardFlags.holderOds, codes);
  return unheld
    ? (or(
        ofTheirPeople,
        and(isNull(cardFlags.personId), inArray(workstations.odsCode, codes)),
      ) as SQL)
    : ofTheirPeople;
}

/** How many flags are open that the caller may see (the count of `listFlags` status open). */
export async function countOpenFlags(ctx: ServiceContext): Promise<number> {
  const queries = await openFlagCountQueries(ctx);
  if (!queries) return 0;
  const { held, unheld } = await readTogether(ctx, queries);
  return [...held, ...unheld].reduce((sum, r) => sum + r.n, 0);
}

/**
 * The queries that count the open flags of each kind the caller may see (together, the
 * count of `listFlags` status open with that kind), or null when they may see none:
 * - `held`: flags of known holders, from card_flag_tallies (kept by triggers as flags are
 *   raised and resolved: db/migrations/0016), the rows whose holder's set of organisations
 *   meets the caller's; a few rows per set, however many flags there are;
 * - `unheld`: flags of cards with no known holder, from card_flags (card_flags_unheld_open_idx:
 *   they are few), for RA staff at their organisations' workstations, or everyone's for a
 *   national caller; null for a sponsor or LSA, who never see them.
 * Wrapped in an object, as a query is a promise of its rows and an async function would run it.
 */
export async function openFlagCountQueries(ctx: ServiceContext) {
  const scope = (await actorScope(ctx)).of('cards:read');
  const codes = scope.all ? null : [...scope.odsCodes].sort();
  if (codes && !codes.length) return null;
  const raStaff = (ctx.actor?.roles ?? []).some((r) => raRoles.has(r.role));
  const held = ctx.db
    .select({
      kind: cardFlagTallies.kind,
      n: sql<number>`sum(${cardFlagTallies.n})::int`.as('n'),
    })
    .from(cardFlagTallies)
    .where(codes ? holderIn(cardFlagTallies.holderOds, codes) : undefined)
    .groupBy(cardFlagTallies.kind);
  const unheld =
    codes && !raStaff
      ? null
      : ctx.db
          .select({ kind: cardFlags.kind, n: sql<number>`count(*)::int`.as('n') })
          .from(cardFlags)
          .leftJoin(workstations, eq(workstations.id, cardFlags.workstationId))
          .where(
            and(
              isNull(cardFlags.resolvedAt),
              isNull(cardFlags.personId),
              codes ? inArray(workstations.odsCode, codes) : undefined,
            ),
          )
          .groupBy(cardFlags.kind);
  return { held, unheld };
}

/** The ids of a page of flags meeting `where`, in the list's order (open: off card_flags_open_order_idx). */
function pageOfAll(ctx: ServiceContext, where: SQL[], take: number) {
  return ctx.db
    .select({ id: cardFlags.id })
    .from(cardFlags)
    .leftJoin(workstations, eq(workstations.id, cardFlags.workstationId))
    .where(and(...where))
    .orderBy(...flagListOrder)
    .limit(take);
}

/**
 * Card flags, most urgent first. RA roles see every flag; a sponsor or LSA sees the flags
 * of people in their organisations only. The cursor is the position in that order.
 */
export async function listFlags(
  ctx: ServiceContext,
  input: ListFlagsInput,
): Promise<{ items: FlagView[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  const reach = await flagReach(ctx);
  if (reach === false) return { items: [], nextCursor: null };
  const status = input.status ?? 'open';
  const filters = ofKind(input.kind);
  const after = decodeFlagCursor(input.cursor);
  // The page first, from card_flags alone; then its card, holder and workstation. Joined
  // before the page was cut, a trust's 1,500 open flags each looked up their card and
  // holder only for 51 to be kept (20 ms of 21 at national scale).
  // A trust's, sponsor's or LSA's open flags are read holder set by holder set; the nation's,
  // and resolved flags, in one walk or sort.
  const scoped = flagsInScope(reach.codes, reach.unheld);
  const page =
    status === 'open' && reach.codes && input.read !== 'inOrder'
      ? openFlagsBySet({
          codes: reach.codes,
          unheld: reach.unheld,
          filters,
          after,
          take: limit + 1,
        })
      : pageOfAll(
          ctx,
          [
            ...filters,
            ...(after ? [afterCursor(after)] : []),
            ...(status === 'open' ? [isNull(cardFlags.resolvedAt)] : []),
            ...(status === 'resolved' ? [isNotNull(cardFlags.resolvedAt)] : []),
            ...(scoped ? [scoped] : []),
          ],
          limit + 1,
        );
  const rows = await ctx.db
    .select({
      flag: cardFlags,
      known: sql<boolean>`${cards.id} is not null`,
      urgency,
      notAfterKey,
      cardType: cards.cardType,
      person: {
        id: people.id,
        userId: people.userId,
        given: people.givenName,
        family: people.familyName,
      },
      workstationName: workstations.name,
    })
    .from(cardFlags)
    .leftJoin(cards, eq(cards.serial, cardFlags.cardSerial))
    .leftJoin(people, eq(people.id, cardFlags.personId))
    .leftJoin(workstations, eq(workstations.id, cardFlags.workstationId))
    .where(inArray(cardFlags.id, page))
    .orderBy(...flagListOrder)
    .limit(limit + 1);

  const personIds = [...new Set(rows.flatMap((r) => (r.person?.id ? [r.person.id] : [])))];
  const systemsOf = new Map<string, Set<string>>();
  if (personIds.length) {
    const held = await ctx.db
      .select({ personId: assignments.personId, systems: positions.systems })
      .from(assignments)
      .innerJoin(positions, eq(positions.id, assignments.positionId))
      .where(and(inArray(assignments.personId, personIds), isHeld(todayOf(ctx.now()))));
    for (const h of held) {
      const set = systemsOf.get(h.personId) ?? new Set<string>();
      for (const s of h.systems) set.add(s);
      systemsOf.set(h.personId, set);
    }
  }

  const now = ctx.now();
  const items = rows.slice(0, limit).map((r): FlagView => {
    const f = r.flag;
    const d = f.details as Record<string, string>;
    const certificate = d.sha256
      ? {
          slot: d.slot ?? '',
          subject: d.subject ?? '',
          issuer: d.issuer ?? '',
          serialNumber: d.serialNumber ?? '',
          notAfter: d.notAfter ?? '',
          sha256: d.sha256,
        }
      : null;
    const expiry = f.kind === 'certificate_expired' || f.kind === 'certificate_expiring';
    const daysLeft =
      expiry && certificate ? daysLeftUntil(new Date(certificate.notAfter), now) : null;
    return {
      id: f.id,
      kind: f.kind,
      status: f.resolvedAt ? 'resolved' : 'open',
      raisedAt: f.raisedAt.toISOString(),
      resolvedAt: f.resolvedAt?.toISOString() ?? null,
      lastSeenAt: f.lastSeenAt.toISOString(),
      card: { serial: f.cardSerial, cardType: r.cardType ?? 'PIV', known: r.known },
      certificate,
      daysLeft,
      bucket: daysLeft === null ? null : bucketOf(daysLeft),
      person: r.person?.id
        ? {
            id: r.person.id,
            userId: r.person.userId,
            displayName: `${r.person.given} ${r.person.family}`,
          }
        : null,
      systems: r.person?.id ? [...(systemsOf.get(r.person.id) ?? [])].sort() : [],
      action: flagActions[f.kind],
      summary: summaryOf(f.kind, certificate, daysLeft, f.details as Record<string, unknown>),
      workstation:
        f.workstationId && r.workstationName
          ? { id: f.workstationId, name: r.workstationName }
          : null,
    };
  });
  const last = rows[limit - 1];
  return {
    items,
    nextCursor:
      rows.length > limit && last
        ? encodeCursor([
            last.urgency,
            last.notAfterKey,
            last.flag.raisedAt.toISOString(),
            last.flag.id,
          ])
        : null,
  };
}
