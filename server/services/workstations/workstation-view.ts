import { desc, eq, inArray } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import { NotFoundError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
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
  const scope = (await actorScope(ctx)).of('workstations:manage');
  if (!scope.all && !scope.odsCodes.size) return [];
  const rows = await ctx.db
    .select(columns)
    .from(workstations)
    .innerJoin(organisations, eq(organisations.odsCode, workstations.odsCode))
    .where(scope.all ? undefined : inArray(workstations.odsCode, [...scope.odsCodes]))
    .orderBy(desc(workstations.createdAt), desc(workstations.id));
  const now = ctx.now();
  return rows.map((r) => view(r, now));
}

/** What a caller hears of a workstation that does not exist, or is not theirs to see. */
export const noSuchWorkstation = 'There is no such workstation.';

export async function getWorkstation(ctx: ServiceContext, id: string): Promise<WorkstationView> {
  const [row] = await ctx.db
    .select(columns)
    .from(workstations)
    .innerJoin(organisations, eq(organisations.odsCode, workstations.odsCode))
    .where(eq(workstations.id, id));
  if (!row) throw new NotFoundError(noSuchWorkstation);
  return view(row, ctx.now());
}
