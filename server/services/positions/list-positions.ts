import { and, asc, eq, ilike, type SQL, sql } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../paging/page-cursor.ts';
import { type PositionView, selectPositions } from './position-view.ts';

export interface PositionFilter {
  odsCode?: string | undefined;
  status?: 'active' | 'closed' | undefined;
  /** Part of the name, any case. */
  q?: string | undefined;
  cursor?: string | undefined;
  /** Positions a page (default 100). */
  limit?: number | undefined;
}

/**
 * Positions by organisation, status and part of their name, sorted by organisation and name,
 * a page at a time: keyset-paginated on (organisation, name, id) through positions_list_idx,
 * so a page costs the same wherever it starts, whatever the number of trusts.
 */
export async function listPositions(
  ctx: ServiceContext,
  filter: PositionFilter,
): Promise<{ items: PositionView[]; nextCursor: string | null }> {
  const limit = filter.limit ?? 100;
  const where: SQL[] = [];
  if (filter.odsCode) where.push(eq(positions.odsCode, filter.odsCode));
  if (filter.status) where.push(eq(positions.status, filter.status));
  const q = filter.q?.trim();
  // LIKE's own wildcards in what was typed are meant literally.
  if (q) where.push(ilike(positions.name, `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`));
  if (filter.cursor) {
    const [ods, name, id] = decodeCursor(filter.cursor, ['text', 'text', 'uuid']);
    where.push(
      sql`(${positions.odsCode}, ${positions.name}, ${positions.id}) > (${ods}, ${name}, ${id}::uuid)`,
    );
  }
  const rows = await selectPositions(ctx, where.length ? and(...where) : undefined, {
    order: [asc(positions.odsCode), asc(positions.name), asc(positions.id)],
    limit: limit + 1,
  });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last ? encodeCursor([last.odsCode, last.name, last.id]) : null,
  };
}
