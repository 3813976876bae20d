import { and, asc, eq, gte, inArray, like, lt, or, type SQL, sql } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import {
  nameAfterFirstWord,
  nameHasWordBreak,
  people,
  personOrganisations,
} from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
import { holderIn } from '../cards/holder-ods.ts';
import type { ServiceContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../paging/page-cursor.ts';
import { nameKey } from './name-keys.ts';

export interface PeopleQuery {
  q: string;
  cursor?: string | undefined;
  limit: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** What separates the words of a name: "Ó Briain", "Smith-Jones", "O'Brien". */
const wordBreaks = [' ', '-', "'", '’'];

/** Something typed that may be (the start of) a card serial: one run of letters and digits. */
const serialLike = /^[0-9a-z]{6,64}$/i;

/**
 * The holders of cards whose serial is, or starts with, what was typed (any case), as a
 * subquery: the search's own scope then keeps the caller to their organisations' people,
 * so no other trust's cards can crowd theirs out.
 */
function cardHolders(ctx: ServiceContext, typed: string) {
  return ctx.db
    .select({ personId: cards.personId })
    .from(cards)
    .where(like(sql`lower(${cards.serial})`, `${escapeLike(typed.toLowerCase())}%`));
}

/**
 * The first string after every string that starts with `prefix`, in any collation that
 * orders by characters: `prefix` with its last character raised by one ("smi" → "smj"). A
 * range `[prefix, upper)` holds every key starting with `prefix` (and, in some collations,
 * a few that do not, which the LIKE beside it drops). The last character is a code point,
 * not a UTF-16 unit ("𠯿" is two), stepping over the surrogates; null when it is the last
 * code point there is (then the range has no end).
 */
function prefixUpperBound(prefix: string): string | null {
  const chars = [...prefix];
  let next = (chars.pop()?.codePointAt(0) ?? 0) + 1;
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
  if (next > 0x10ffff) return null;
  return `${chars.join('')}${String.fromCodePoint(next)}`;
}

/**
 * Whether pg_trgm can narrow a LIKE '%…%' on what was typed: it needs a trigram, which a run
 * of three letters or digits gives ("smi", "jo smi"); "o b" gives none, and the trigram
 * index would then be read whole.
 */
const hasTrigram = (key: string) => /[\p{L}\p{N}]{3}/u.test(key);

/** One way of matching a name: a condition, and whether its page is sorted after it is found. */
interface NameBranch {
  where: SQL;
  /**
   * Found through the trigram index, then sorted: matches are few, and reading the names in
   * order (the other way) would walk every name with a break to find none.
   */
  byTrigram?: true;
}

/**
 * Which people the name branch of a search matches, as separate conditions, each answered by
 * its own index, so each stops after a page:
 *
 * - family name first ("smi", "smith jo"): a range of people_order_idx on the family key.
 *   A name whose family_given key starts with what was typed has a family key that starts
 *   with it, or is its first words: so from its first word to just after the whole of it.
 * - given name first ("jo smi"): people_given_family_idx.
 * - a word inside the name ("briain", "jones" of "Smith-Jones"): only names holding a word
 *   break have one. With three letters typed, the trigram index of those names after their
 *   first word (people_name_words_trgm_idx) finds them, a handful, then they are sorted;
 *   with fewer, people_name_words_idx holds those names alone in the search's order, and a
 *   page is read off it (short prefixes match often, so the page comes soon).
 *
 * One `OR` of them all made PostgreSQL walk the whole name index from "a" for a common
 * prefix, filtering (6.8 s for "smi" over 1.5 M people); each branch apart takes a page.
 */
function nameBranches(q: string): NameBranch[] {
  const key = nameKey(q);
  const pattern = escapeLike(key);
  const firstWord = key.split(' ')[0] ?? key;
  const upper = prefixUpperBound(key);
  // A word break then what was typed, anywhere in the name.
  const afterABreak = or(
    ...wordBreaks.map((mark) => like(people.familyGivenKey, `%${escapeLike(mark)}${pattern}%`)),
  ) as SQL;
  return [
    {
      where: and(
        gte(people.familyKey, firstWord),
        ...(upper === null ? [] : [lt(people.familyKey, upper)]),
        like(people.familyGivenKey, `${pattern}%`),
      ) as SQL,
    },
    { where: like(people.givenFamilyKey, `${pattern}%`) },
    hasTrigram(key)
      ? {
          // Null, so never like anything, for a name with no break.
          where: and(sql`${nameAfterFirstWord} like ${`%${pattern}%`}`, afterABreak) as SQL,
          byTrigram: true,
        }
      : { where: and(nameHasWordBreak, afterABreak) as SQL },
  ];
}

/**
 * Finds people by user ID (12 digits, spaces allowed), email, name, or card serial. A name
 * matches from the start of the whole name in either order ("jo smi", "smith jo") or of
 * any of its words ("briain" finds "Zoë Ó Briain", "jones" finds "Smith-Jones"), ignoring
 * case and accents. A card serial, whole or its first 6 characters or more, finds the
 * card's holder for callers who may read cards. Ordered by family then given name,
 * keyset-paginated on that order so deep pages cost the same as the first. Only people of
 * the caller's organisations are found.
 */
export async function searchPeople(ctx: ServiceContext, query: PeopleQuery) {
  const q = query.q.trim();
  const common: SQL[] = [];
  // Each a condition of its own, asked apart and merged: see nameBranches.
  let branches: NameBranch[] = [];
  const digits = q.replace(/\s/g, '');
  if (/^\d{12}$/.test(digits)) {
    common.push(eq(people.userId, digits));
  } else if (q.includes('@')) {
    common.push(eq(sql`lower(${people.email})`, q.toLowerCase()));
  } else if (q) {
    branches = nameBranches(q);
    if (serialLike.test(q) && ctx.actor?.permissions.includes('cards:read')) {
      branches.push({ where: inArray(people.id, cardHolders(ctx, q)) });
    }
  }
  if (query.cursor) {
    const [family, given, id] = decodeCursor(query.cursor, ['text', 'text', 'uuid']);
    common.push(
      sql`(${people.familyKey}, ${people.givenKey}, ${people.id}) > (${family}, ${given}, ${id}::uuid)`,
    );
  }
  // Only people of the organisations where the caller may read people.
  const scope = (await actorScope(ctx)).of('people:read');
  if (!scope.all) {
    if (!scope.odsCodes.size) return { items: [], nextCursor: null };
    // The person's organisations as the name indexes hold them (people.org_codes, kept by
    // a trigger from person_organisations): tested from the index, no lookup a name.
    common.push(holderIn(people.orgCodes, [...scope.odsCodes].sort()));
  }
  const order = [asc(people.familyKey), asc(people.givenKey), asc(people.id)];
  const pageOf = (where: SQL[]) =>
    ctx.db
      .select({ id: people.id })
      .from(people)
      .where(where.length ? and(...where) : undefined)
      .orderBy(...order)
      .limit(query.limit + 1);
  // Every match first (`offset 0` keeps PostgreSQL from planning it as a walk of the name
  // order until a page is found), then sorted.
  const sortedPageOf = (where: SQL[]) =>
    sql`select id from (select ${people.id}, ${people.familyKey}, ${people.givenKey} from ${people} where ${and(...where)} offset 0) as found order by family_key, given_key, id limit ${query.limit + 1}`;
  // A page of each branch, then the first page of their union, in the one order.
  const matching = branches.length
    ? sql`${people.id} in (${sql.join(
        branches.map(
          (b) =>
            sql`(${b.byTrigram ? sortedPageOf([b.where, ...common]) : pageOf([b.where, ...common])})`,
        ),
        sql` union `,
      )})`
    : null;
  const rows = await ctx.db
    .select({
      id: people.id,
      userId: people.userId,
      givenName: people.givenName,
      middleNames: people.middleNames,
      familyName: people.familyName,
      dateOfBirth: people.dateOfBirth,
      email: people.email,
      status: people.status,
      familyKey: people.familyKey,
      givenKey: people.givenKey,
    })
    .from(people)
    .where(matching ?? (common.length ? and(...common) : undefined))
    .orderBy(...order)
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const orgs = page.length
    ? await ctx.db
        .select()
        .from(personOrganisations)
        .where(
          inArray(
            personOrganisations.personId,
            page.map((p) => p.id),
          ),
        )
    : [];
  const last = page.at(-1);
  return {
    items: page.map(({ familyKey: _f, givenKey: _g, ...p }) => ({
      ...p,
      odsCodes: orgs.filter((o) => o.personId === p.id).map((o) => o.odsCode),
    })),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor([last.familyKey, last.givenKey, last.id])
        : null,
  };
}
