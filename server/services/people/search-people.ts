import { and, asc, eq, exists, inArray, like, or, type SQL, sql } from 'drizzle-orm';
import { cards } from '../../../db/schema/cards.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
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
  const where: SQL[] = [];
  const digits = q.replace(/\s/g, '');
  if (/^\d{12}$/.test(digits)) {
    where.push(eq(people.userId, digits));
  } else if (q.includes('@')) {
    where.push(eq(sql`lower(${people.email})`, q.toLowerCase()));
  } else if (q) {
    const key = escapeLike(nameKey(q));
    // The two prefixes use their indexes; a word inside the name is a scan of the caller's
    // people, which at a trust's 25,000 is quick (a trigram index would serve a nation).
    const matches: SQL[] = [
      like(people.familyGivenKey, `${key}%`),
      like(people.givenFamilyKey, `${key}%`),
      ...wordBreaks.map((mark) => like(people.familyGivenKey, `%${escapeLike(mark)}${key}%`)),
    ];
    if (serialLike.test(q) && ctx.actor?.permissions.includes('cards:read')) {
      matches.push(inArray(people.id, cardHolders(ctx, q)));
    }
    where.push(or(...matches) as SQL);
  }
  if (query.cursor) {
    const [family, given, id] = decodeCursor(query.cursor, ['text', 'text', 'uuid']);
    where.push(
      sql`(${people.familyKey}, ${people.givenKey}, ${people.id}) > (${family}, ${given}, ${id}::uuid)`,
    );
  }
  // Only people of the organisations where the caller may read people.
  const scope = (await actorScope(ctx)).of('people:read');
  if (!scope.all) {
    if (!scope.odsCodes.size) return { items: [], nextCursor: null };
    where.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(personOrganisations)
          .where(
            and(
              eq(personOrganisations.personId, people.id),
              inArray(personOrganisations.odsCode, [...scope.odsCodes]),
            ),
          ),
      ),
    );
  }
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
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(people.familyKey), asc(people.givenKey), asc(people.id))
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
