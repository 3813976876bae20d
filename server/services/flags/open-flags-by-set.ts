import { and, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import {
  cardFlags,
  type FlagKind,
  flagNotAfterKey,
  flagUrgency,
} from '../../../db/schema/cards.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import { holderIn, odsCodeArray } from '../cards/holder-ods.ts';
import { decodeCursor } from '../paging/page-cursor.ts';

const urgency = flagUrgency(cardFlags.kind);
const notAfterKey = flagNotAfterKey(cardFlags.details);

/**
 * The flags list's order: urgency and expiry ascending, then newest first. Exactly
 * card_flags_open_order_idx's (its NULLS LAST too) and, after the holder's set,
 * card_flags_open_holder_order_idx's, so a page of open flags is read off an index.
 */
export const flagListOrder = [
  urgency,
  notAfterKey,
  sql`${cardFlags.raisedAt} desc nulls last`,
  sql`${cardFlags.id} desc nulls last`,
];

/** Where the page before ended: its last flag's keys in the list's order. */
export interface FlagCursor {
  urgency: number;
  notAfterKey: string;
  raisedAt: string;
  id: string;
}

export function decodeFlagCursor(cursor: string | undefined): FlagCursor | null {
  if (!cursor) return null;
  const [u, notAfter, raisedAt, id] = decodeCursor(cursor, ['offset', 'text', 'timestamp', 'uuid']);
  return { urgency: u, notAfterKey: notAfter, raisedAt, id };
}

/**
 * A flag of this kind only: the kind, and its urgency, the first key of the list's order and
 * of its indexes after the holder's set, so an index range rather than a filter.
 */
export function ofKind(kind: FlagKind | undefined): SQL[] {
  return kind
    ? [eq(cardFlags.kind, kind), sql`${urgency} = ${flagUrgency(sql`${kind}::text`)}`]
    : [];
}

/** The rest of the cursor's group (same urgency and expiry): older, or as old with a lower id. */
const restOfGroup = (c: FlagCursor) =>
  sql`${urgency} = ${c.urgency}::int and ${notAfterKey} = ${c.notAfterKey}::text
    and (${cardFlags.raisedAt}, ${cardFlags.id}) < (${c.raisedAt}::timestamptz, ${c.id}::uuid)`;

/** The groups after the cursor's: less urgent, or as urgent with a later expiry. */
const laterGroups = (c: FlagCursor) =>
  sql`(${urgency}, ${notAfterKey}) > (${c.urgency}::int, ${c.notAfterKey}::text)`;

/**
 * After the cursor in the list's order (urgency and expiry ascending, then newest first), as
 * one condition: the rest of its group or the groups after it.
 */
export function afterCursor(c: FlagCursor): SQL {
  return sql`(${urgency} > ${c.urgency}::int or (${urgency} = ${c.urgency}::int and (${notAfterKey} > ${c.notAfterKey}::text
    or (${notAfterKey} = ${c.notAfterKey}::text and (${cardFlags.raisedAt}, ${cardFlags.id}) < (${c.raisedAt}::timestamptz, ${c.id}::uuid)))))`;
}

export interface OpenFlagsBySet {
  /** The caller's organisations (sorted ODS codes, at least one). */
  codes: readonly string[];
  /** RA staff also see flags with no known holder seen at their organisations' workstations. */
  unheld: boolean;
  /** Conditions on card_flags every flag of the page meets (its kind). */
  filters: SQL[];
  /** The last flag of the page before. */
  after: FlagCursor | null;
  /** How many ids to give: the page and one more. */
  take: number;
}

/**
 * The ids of a page of open flags a caller with organisations may see, in the list's order,
 * read holder set by holder set: a trust's flags are spread over a few sets of organisations
 * ({RBQ}, {RBQ,RBQ01}, …), and each set's open flags are in card_flags_open_holder_order_idx
 * in the list's order, so each set gives its first `take` flags off the index and the page is
 * the first `take` of those merged (with the unheld flags at the caller's workstations, for RA
 * staff). Through card_flags_holder_idx instead, every flag the trust ever had (open or
 * resolved: 2,283 flags in 2,006 heap pages for a trust at national scale) was read and
 * sorted to keep 51.
 *
 * The sets are the distinct `holder_ods` of open flags, walked through the same index one
 * probe a set (a loose index scan: 180 sets for the nation), kept when they meet the caller's
 * codes. A sorted set whose first code sorts after every code of the caller's holds none of
 * them, nor does any set after it, so the walk stops there. Not card_flag_tallies: it counts
 * flags, and this list must not depend on it.
 */
export function openFlagsBySet({ codes, unheld, filters, after, take }: OpenFlagsBySet): SQL {
  const sets = sql`with recursive walk(holder_ods) as (
      (select ${cardFlags.holderOds} from ${cardFlags}
        where ${cardFlags.resolvedAt} is null and ${cardFlags.holderOds} is not null
        order by ${cardFlags.holderOds} limit 1)
      union all
      select (select ${cardFlags.holderOds} from ${cardFlags}
          where ${cardFlags.resolvedAt} is null and ${cardFlags.holderOds} > walk.holder_ods
          order by ${cardFlags.holderOds} limit 1)
        from walk
        where walk.holder_ods is not null and coalesce(walk.holder_ods[1] <= any(${odsCodeArray(codes)}), true))
    select walk.holder_ods from walk where ${holderIn(sql`walk.holder_ods`, codes)}`;
  const keys = sql`${cardFlags.id}, ${urgency} as urgency, ${notAfterKey} as not_after_key, ${cardFlags.raisedAt}`;
  const ofTheSet = (from: SQL | undefined) => sql`(select ${keys} from ${cardFlags}
      where ${and(
        sql`${cardFlags.holderOds} = holder_set.holder_ods`,
        isNull(cardFlags.resolvedAt),
        ...filters,
        from,
      )}
      order by ${sql.join(flagListOrder, sql`, `)} limit ${take})`;
  // After a cursor, a set's flags come from two ranges of the index, each without a filter:
  // the rest of the cursor's group, then the groups after it. As one condition (an OR), the
  // planner took each set's flags by a bitmap of both and sorted them all.
  const ofEachSet = sql`select page.* from (${sets}) as holder_set
    cross join lateral (${
      after
        ? sql`select ranges.* from (${ofTheSet(restOfGroup(after))} union all ${ofTheSet(laterGroups(after))}) as ranges`
        : sql`select whole.* from ${ofTheSet(undefined)} as whole`
    }) as page`;
  // A flag with no known holder has no holder_ods; one that had both would come once, by its set.
  const unheldAtTheirWorkstations = sql`(select ${keys} from ${cardFlags}
      left join ${workstations} on ${eq(workstations.id, cardFlags.workstationId)}
      where ${and(
        isNull(cardFlags.resolvedAt),
        isNull(cardFlags.personId),
        inArray(workstations.odsCode, [...codes]),
        sql`not coalesce(${holderIn(cardFlags.holderOds, codes)}, false)`,
        ...filters,
        after ? afterCursor(after) : undefined,
      )}
      order by ${sql.join(flagListOrder, sql`, `)} limit ${take})`;
  return sql`(select merged.id from (
      ${ofEachSet}
      ${unheld ? sql`union all ${unheldAtTheirWorkstations}` : sql``}
    ) as merged
    order by merged.urgency, merged.not_after_key, merged.raised_at desc nulls last,
      merged.id desc nulls last
    limit ${take})`;
}
