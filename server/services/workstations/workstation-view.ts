import { desc, eq } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import { NotFoundError } from '../../errors.ts';
import { inScope, organisationScope } from '../access/organisation-scope.ts';
import type { ServiceContext } from '../context.ts';

export interface WorkstationView {
  id: string;
  name: string;
  location: string | null;
  organisation: { odsCode: string; name: string };
  status: 'awaiting_enrolment' | 'enrolled' | 'revoked';
  enrolmentExpiresAt: string | null;
  enrolledAt: string | null;
  lastSeenAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
  createdAt: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const columns = {
  w: workstations,
  organisationName: organisations.name,
};

function view(
  row: { w: typeof workstations.$inferSelect; organisationName: string },
  now: Date,
): WorkstationView {
  const { w } = row;
  const codeLive =
    w.status !== 'revoked' &&
    w.enrolmentCodeUsedAt === null &&
    w.enrolmentExpiresAt !== null &&
    w.enrolmentExpiresAt > now;
  return {
    id: w.id,
    name: w.name,
    location: w.location,
    organisation: { odsCode: w.odsCode, name: row.organisationName },
    status: w.status,
    enrolmentExpiresAt: codeLive ? iso(w.enrolmentExpiresAt) : null,
    enrolledAt: iso(w.enrolledAt),
    lastSeenAt: iso(w.lastSeenAt),
    revokedAt: iso(w.revokedAt),
    revokedReason: w.revokedReason,
    createdAt: w.createdAt.toISOString(),
  };
}

/** The workstations of the organisations the caller manages workstations for, newest first. */
export async function listWorkstations(ctx: ServiceContext): Promise<WorkstationView[]> {
  const scope = await organisationScope(ctx, 'workstations:manage');
  const rows = await ctx.db
    .select(columns)
    .from(workstations)
    .innerJoin(organisations, eq(organisations.odsCode, workstations.odsCode))
    .orderBy(desc(workstations.createdAt), desc(workstations.id));
  const now = ctx.now();
  return rows.filter((r) => inScope(scope, r.w.odsCode)).map((r) => view(r, now));
}

export async function getWorkstation(ctx: ServiceContext, id: string): Promise<WorkstationView> {
  const [row] = await ctx.db
    .select(columns)
    .from(workstations)
    .innerJoin(organisations, eq(organisations.odsCode, workstations.odsCode))
    .where(eq(workstations.id, id));
  if (!row) throw new NotFoundError('There is no such workstation.');
  return view(row, ctx.now());
}
