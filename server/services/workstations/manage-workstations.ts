import { and, eq, sql } from 'drizzle-orm';
import { workstations } from '../../../db/schema/workstations.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { assertFoundInScope, assertInScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { findOrganisation } from '../organisations/find-organisation.ts';
import { newEnrolmentCode, sha256 } from './secrets.ts';
import { getWorkstation, noSuchWorkstation, type WorkstationView } from './workstation-view.ts';

/** How long an enrolment code works. */
export const enrolmentCodeHours = 24;

export interface Enrolment {
  workstation: WorkstationView;
  enrolment: { code: string; expiresAt: string };
}

function codeFor(ctx: ServiceContext) {
  const code = newEnrolmentCode();
  const expiresAt = new Date(ctx.now().getTime() + enrolmentCodeHours * 3_600_000);
  return { code, hash: sha256(code.replace(/-/g, '')), expiresAt };
}

/** Registers a workstation of an organisation and gives its first enrolment code, once. */
export async function registerWorkstation(
  ctx: ServiceContext,
  input: { name: string; location?: string | null; odsCode: string },
): Promise<Enrolment> {
  return withTransaction(ctx, async (tx) => {
    const org = await findOrganisation(tx, input.odsCode);
    if (!org) {
      throw new ValidationError(`There is no organisation ${input.odsCode}.`, [
        { field: 'odsCode', message: 'is not a known ODS code' },
      ]);
    }
    await assertInScope(tx, 'workstations:manage', org.odsCode, 'workstations');
    const [taken] = await tx.db
      .select({ id: workstations.id })
      .from(workstations)
      .where(
        and(
          eq(workstations.odsCode, org.odsCode),
          sql`lower(${workstations.name}) = lower(${input.name})`,
        ),
      );
    if (taken) {
      throw new ConflictError(
        `${org.odsCode} already has a workstation called "${input.name}". Give this one another name.`,
      );
    }
    const code = codeFor(tx);
    const [row] = await tx.db
      .insert(workstations)
      .values({
        odsCode: org.odsCode,
        name: input.name,
        location: input.location ?? null,
        status: 'awaiting_enrolment',
        enrolmentCodeHash: code.hash,
        enrolmentExpiresAt: code.expiresAt,
        createdAt: tx.now(),
        createdBy: tx.actor?.accountId ?? null,
      })
      .returning({ id: workstations.id });
    if (!row) throw new Error('workstation insert returned no row');
    await recordAuditEvent(tx, {
      action: 'workstation.registered',
      subjectType: 'workstation',
      subjectId: row.id,
      summary: { name: input.name, odsCode: org.odsCode, location: input.location ?? null },
    });
    return {
      workstation: await getWorkstation(tx, row.id),
      enrolment: { code: code.code, expiresAt: code.expiresAt.toISOString() },
    };
  });
}

async function lockWorkstation(ctx: ServiceContext, id: string) {
  const [row] = await ctx.db
    .select()
    .from(workstations)
    .where(eq(workstations.id, id))
    .for('update');
  if (!row) throw new NotFoundError(noSuchWorkstation);
  await assertFoundInScope(ctx, 'workstations:manage', row.odsCode, noSuchWorkstation);
  return row;
}

/** A new enrolment code for a workstation (a new PC, or a lost code); any unused one stops working. */
export async function issueEnrolmentCode(ctx: ServiceContext, id: string): Promise<Enrolment> {
  return withTransaction(ctx, async (tx) => {
    const row = await lockWorkstation(tx, id);
    if (row.status === 'revoked') {
      throw new ConflictError(
        `Workstation "${row.name}" was revoked; register it again as a new workstation.`,
      );
    }
    const code = codeFor(tx);
    await tx.db
      .update(workstations)
      .set({
        enrolmentCodeHash: code.hash,
        enrolmentExpiresAt: code.expiresAt,
        enrolmentCodeUsedAt: null,
      })
      .where(eq(workstations.id, id));
    await recordAuditEvent(tx, {
      action: 'workstation.enrolment_code_issued',
      subjectType: 'workstation',
      subjectId: id,
      summary: { name: row.name, expiresAt: code.expiresAt.toISOString() },
    });
    return {
      workstation: await getWorkstation(tx, id),
      enrolment: { code: code.code, expiresAt: code.expiresAt.toISOString() },
    };
  });
}

/** Revokes a workstation: its credential and any code stop working at once. */
export async function revokeWorkstation(
  ctx: ServiceContext,
  id: string,
  reason: string,
): Promise<WorkstationView> {
  return withTransaction(ctx, async (tx) => {
    const row = await lockWorkstation(tx, id);
    if (row.status === 'revoked') {
      throw new ConflictError(`Workstation "${row.name}" is already revoked.`);
    }
    await tx.db
      .update(workstations)
      .set({
        status: 'revoked',
        credentialHash: null,
        enrolmentExpiresAt: null,
        revokedAt: tx.now(),
        revokedReason: reason,
      })
      .where(eq(workstations.id, id));
    await recordAuditEvent(tx, {
      action: 'workstation.revoked',
      subjectType: 'workstation',
      subjectId: id,
      summary: { name: row.name, reason },
    });
    return getWorkstation(tx, id);
  });
}
