import { eq } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import { NotFoundError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';

/**
 * A position's row, locked until the transaction ends, so that an edit and a close of the
 * same position take turns instead of both acting on what they read first.
 */
export async function lockPosition(ctx: ServiceContext, id: string) {
  const [row] = await ctx.db.select().from(positions).where(eq(positions.id, id)).for('update');
  if (!row) throw new NotFoundError('There is no such position: it may have been mistyped.');
  return row;
}
