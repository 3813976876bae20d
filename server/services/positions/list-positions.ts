import { and, eq, ilike, type SQL } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import type { ServiceContext } from '../context.ts';
import { type PositionView, selectPositions } from './position-view.ts';

export interface PositionFilter {
  odsCode?: string | undefined;
  status?: 'active' | 'closed' | undefined;
  /** Part of the name, any case. */
  q?: string | undefined;
}

/** Positions by organisation, status and part of their name, sorted by organisation and name. */
export async function listPositions(
  ctx: ServiceContext,
  filter: PositionFilter,
): Promise<PositionView[]> {
  const where: SQL[] = [];
  if (filter.odsCode) where.push(eq(positions.odsCode, filter.odsCode));
  if (filter.status) where.push(eq(positions.status, filter.status));
  const q = filter.q?.trim();
  // LIKE's own wildcards in what was typed are meant literally.
  if (q) where.push(ilike(positions.name, `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`));
  return selectPositions(ctx, where.length ? and(...where) : undefined);
}
