import {
  and,
  asc,
  eq,
  exists,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import { cardFlags, cardLocations, cards, type FlagKind } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import type { ServiceContext } from '../context.ts';
import { daysLeftUntil } from '../dates.ts';
import { decodeCursor, encodeCursor } from '../paging/page-cursor.ts';
import { groupUserId } from '../people/name-keys.ts';
import { allowedTransitions, type CardState, type CardVerb } from './card-lifecycle.ts';
import { cardsInScope } from './cards-in-scope.ts';
import { type ExpiryBucket, expiryCondition } from './expiry-buckets.ts';

/**
 * The lifecycle verbs a list row may offer: those a person makes on a card from a list.
 * Issue, activate and unlock need the card in a reader (the next issue); block is the
 * server's own.
 */
export const listedVerbs = [
  'suspend',
  'reinstate',
  'cancel',
  'return',
  'clear',
  'destroy',
] as const satisfies readonly CardVerb[];
export type ListedVerb = (typeof listedVerbs)[number];

export interface CardFilter {
  /** Cards in any of these states. */
  state?: readonly CardState[] | undefined;
  /** Cards kept at, or issued from, this location (card_locations id). */
  location?: string | undefined;
  /** Cards held by this person (people id). */
  holder?: string | undefined;
  /** Cards in use whose certificates are expired, or expire within 7/30/60/90 days. */
  expiry?: ExpiryBucket | undefined;
  /** Cards with an open flag of this kind. */
  flag?: FlagKind | undefined;
}

export interface ListCardsInput extends CardFilter {
  cursor?: string | undefined;
  limit?: number | undefined;
}

export interface CardRow {
  serial: string;
  cardType: string;
  state: CardState;
  stateReason: string | null;
  holder: { id: string; name: string; userId: string } | null;
  location: { id: string; name: string } | null;
  expiresAt: string | null;
  daysLeft: number | null;
  openFlags: FlagKind[];
  actions: ListedVerb[];
}

/**
 * The condition of a filter on `cards`, within what the caller may see; `false` when they
 * may see none. The dashboard counts with the same conditions, so a count and the list
 * behind it cannot disagree.
 */
export async function cardFilterCondition(
  ctx: ServiceContext,
  filter: CardFilter,
): Promise<SQL | undefined | false> {
  const scoped = await cardsInScope(ctx);
  if (scoped === false) return false;
  const where: SQL[] = scoped ? [scoped] : [];
  if (filter.state?.length) where.push(inArray(cards.state, [...new Set(filter.state)]));
  if (filter.location) where.push(eq(cards.locationId, filter.location));
  if (filter.holder) where.push(eq(cards.personId, filter.holder));
  if (filter.expiry) where.push(expiryCondition(filter.expiry, ctx.now()));
  if (filter.flag) {
    where.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(cardFlags)
          .where(
            and(
              eq(cardFlags.cardSerial, cards.serial),
              eq(cardFlags.kind, filter.flag),
              isNull(cardFlags.resolvedAt),
            ),
          ),
      ),
    );
  }
  return where.length ? and(...where) : undefined;
}

/** expires_at to the microsecond, in UTC: the cursor's sort key, exactly as stored. */
const expiresKey = sql<
  string | null
>`to_char(${cards.expiresAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function selectPage(ctx: ServiceContext, where: SQL | undefined, order: SQL[], limit: number) {
  return ctx.db
    .select({
      serial: cards.serial,
      cardType: cards.cardType,
      state: cards.state,
      stateReason: cards.stateReason,
      expiresAt: cards.expiresAt,
      expiresKey,
      personId: cards.personId,
      locationId: cards.locationId,
    })
    .from(cards)
    .where(where)
    .orderBy(...order)
    .limit(limit);
}

/**
 * The first page's queries, as `listCards` runs them (for EXPLAIN in the tests): cards
 * with an expiry, soonest first, by (expires_at, serial); then those with none, by serial.
 * Each half follows an index in its order (cards_expires_idx or cards_state_idx; the
 * serial's unique index), so a page costs the same at 1.2 million cards as at a hundred.
 */
export function cardPageQueries(
  ctx: ServiceContext,
  where: SQL | undefined,
  limit: number,
  after?: { expiresKey: string | null; serial: string },
) {
  const dated: SQL[] = [isNotNull(cards.expiresAt)];
  const undated: SQL[] = [isNull(cards.expiresAt)];
  if (after?.expiresKey) {
    const at = sql`${after.expiresKey}::timestamptz`;
    dated.push(
      gte(cards.expiresAt, at),
      or(gt(cards.expiresAt, at), gt(cards.serial, after.serial)) as SQL,
    );
  }
  if (after && !after.expiresKey) undated.push(gt(cards.serial, after.serial));
  return {
    dated:
      after && !after.expiresKey
        ? null
        : selectPage(ctx, and(where, ...dated), [asc(cards.expiresAt), asc(cards.serial)], limit),
    undated: (n: number) => selectPage(ctx, and(where, ...undated), [asc(cards.serial)], n),
  };
}

/**
 * Cards the caller may see (cardsInScope), filtered, soonest expiry first and then by
 * serial (cards with no certificate last), keyset-paginated on that order. Each row names
 * its holder and location, its days left, its open flags, and the lifecycle verbs the
 * caller may make on it now (the lifecycle table's `allowedTransitions`, limited to
 * `listedVerbs`).
 */
export async function listCards(
  ctx: ServiceContext,
  input: ListCardsInput,
): Promise<{ items: CardRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  const after = input.cursor
    ? (() => {
        const [expiresKey, serial] = decodeCursor(input.cursor, ['instant?', 'text']);
        return { expiresKey, serial };
      })()
    : undefined;
  // A page follows an index and stops: its scope is asked card by card.
  const where = await cardFilterCondition(ctx, input);
  if (where === false) return { items: [], nextCursor: null };
  const queries = cardPageQueries(ctx, where, limit + 1, after);
  const rows = queries.dated ? await queries.dated : [];
  // Cards with an expiry come first; an expiry bucket has no undated card at all.
  if (rows.length <= limit && !input.expiry) {
    rows.push(...(await queries.undated(limit + 1 - rows.length)));
  }
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: await describeRows(ctx, page),
    nextCursor: rows.length > limit && last ? encodeCursor([last.expiresKey, last.serial]) : null,
  };
}

type PageRow = Awaited<ReturnType<typeof selectPage>>[number];

/** Holder, location, open flags and the caller's verbs for a page of cards. */
async function describeRows(ctx: ServiceContext, page: PageRow[]): Promise<CardRow[]> {
  if (!page.length) return [];
  const personIds = [...new Set(page.flatMap((c) => (c.personId ? [c.personId] : [])))];
  const locationIds = [...new Set(page.flatMap((c) => (c.locationId ? [c.locationId] : [])))];
  const [holders, locations, flags] = await Promise.all([
    personIds.length
      ? ctx.db
          .select({
            id: people.id,
            userId: people.userId,
            given: people.givenName,
            family: people.familyName,
            accountId: people.accountId,
          })
          .from(people)
          .where(inArray(people.id, personIds))
      : [],
    locationIds.length
      ? ctx.db
          .select({ id: cardLocations.id, name: cardLocations.name })
          .from(cardLocations)
          .where(inArray(cardLocations.id, locationIds))
      : [],
    ctx.db
      .select({ serial: cardFlags.cardSerial, kind: cardFlags.kind })
      .from(cardFlags)
      .where(
        and(
          inArray(
            cardFlags.cardSerial,
            page.map((c) => c.serial),
          ),
          isNull(cardFlags.resolvedAt),
        ),
      ),
  ]);
  const now = ctx.now();
  const actor = ctx.actor
    ? { accountId: ctx.actor.accountId, permissions: ctx.actor.permissions }
    : null;
  return page.map((c): CardRow => {
    const holder = holders.find((h) => h.id === c.personId);
    const location = locations.find((l) => l.id === c.locationId);
    const allowed = actor
      ? allowedTransitions({ state: c.state, holderAccountId: holder?.accountId ?? null }, actor)
      : [];
    return {
      serial: c.serial,
      cardType: c.cardType,
      state: c.state,
      stateReason: c.stateReason,
      holder: holder
        ? {
            id: holder.id,
            name: `${holder.given} ${holder.family}`,
            userId: groupUserId(holder.userId),
          }
        : null,
      location: location ? { id: location.id, name: location.name } : null,
      expiresAt: c.expiresAt?.toISOString() ?? null,
      daysLeft: c.expiresAt ? daysLeftUntil(c.expiresAt, now) : null,
      openFlags: [...new Set(flags.filter((f) => f.serial === c.serial).map((f) => f.kind))].sort(),
      actions: listedVerbs.filter((v) => allowed.includes(v)),
    };
  });
}
