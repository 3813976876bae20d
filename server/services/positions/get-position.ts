import { eq } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import { NotFoundError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { type PositionView, selectPositions } from './position-view.ts';

/** One position with its job roles, activities and workgroups named; 404 when unknown. */
export async function getPosition(ctx: ServiceContext, id: string): Promise<PositionView> {
  const [position] = await selectPositions(ctx, eq(positions.id, id));
  if (!position) throw new NotFoundError('There is no such position: it may have been mistyped.');
  return position;
}
