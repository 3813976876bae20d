import { asc, eq } from 'drizzle-orm';
import { workgroups } from '../../../db/schema/organisations.ts';
import type { ServiceContext } from '../context.ts';

/** A workgroup with the workgroups under it. */
export interface WorkgroupNode {
  id: string;
  name: string;
  status: 'active' | 'closed';
  children: WorkgroupNode[];
}

/** An organisation's workgroups as a tree, each level sorted by name. */
export async function workgroupTree(
  ctx: ServiceContext,
  odsCode: string,
): Promise<WorkgroupNode[]> {
  const rows = await ctx.db
    .select()
    .from(workgroups)
    .where(eq(workgroups.odsCode, odsCode))
    .orderBy(asc(workgroups.name));
  const nodes = new Map<string, WorkgroupNode>(
    rows.map((r) => [r.id, { id: r.id, name: r.name, status: r.status, children: [] }]),
  );
  const roots: WorkgroupNode[] = [];
  for (const r of rows) {
    const node = nodes.get(r.id);
    if (!node) continue;
    const parent = r.parentId ? nodes.get(r.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}
