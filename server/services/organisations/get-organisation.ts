import { NotFoundError } from '../../errors.ts';
import type { ServiceContext } from '../context.ts';
import { findOrganisation } from './find-organisation.ts';
import { workgroupTree } from './workgroup-tree.ts';

/** One organisation with its workgroup tree; 404 when there is no such ODS code. */
export async function getOrganisation(ctx: ServiceContext, odsCode: string) {
  const org = await findOrganisation(ctx, odsCode);
  if (!org) throw new NotFoundError(`There is no organisation ${odsCode}.`);
  return { ...org, workgroups: await workgroupTree(ctx, odsCode) };
}
