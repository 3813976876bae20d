import { NotFoundError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { findOrganisation } from './find-organisation.ts';
import { type WorkgroupNode, workgroupTree } from './workgroup-tree.ts';

/** An organisation's workgroup tree; 404 when there is no such organisation. */
export async function listWorkgroups(
  ctx: ServiceContext,
  odsCode: string,
): Promise<WorkgroupNode[]> {
  if (!(await findOrganisation(ctx, odsCode))) {
    throw new NotFoundError(`There is no organisation ${odsCode}.`);
  }
  return workgroupTree(ctx, odsCode);
}
