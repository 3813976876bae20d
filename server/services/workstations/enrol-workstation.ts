import { eq } from 'drizzle-orm';
import { organisations } from '../../../db/schema/organisations.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import type { LoginPolicy } from '../../config.ts';
import { DomainError, TooManyAttemptsError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { assertNotThrottled, recordLoginFailure } from '../auth/login-throttle.ts';
import { waitWords } from '../auth/throttle-rules.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { canonicalCode, newCredential, sha256 } from './secrets.ts';

export interface EnrolResult {
  workstationId: string;
  workstationName: string;
  organisation: { odsCode: string; name: string };
  credential: string;
}

/** One answer for a forged, mistyped, used or expired code: the caller learns nothing. */
const invalid = () =>
  new DomainError(
    'ENROLMENT_CODE_INVALID',
    'This enrolment code is not valid: it may be mistyped, already used or expired. Ask an RA manager for a new code.',
  );

/**
 * Trades a one-time enrolment code for the workstation's own credential (given once, kept
 * only as a hash). Failures count against the caller's address like failed sign-ins, and
 * are audited with their cause.
 */
export async function enrolWorkstation(
  ctx: ServiceContext,
  input: { code: string; hostname?: string | null },
  policy: LoginPolicy,
): Promise<EnrolResult> {
  const keys = { account: `enrolment@${ctx.address ?? 'unknown'}`, address: null };
  try {
    await assertNotThrottled(ctx, keys, policy);
  } catch (err) {
    if (!(err instanceof TooManyAttemptsError)) throw err;
    throw new TooManyAttemptsError(
      `Too many wrong enrolment codes from this address. Wait ${waitWords(err.retryAfterSeconds * 1000)} and try again.`,
      err.retryAfterSeconds,
    );
  }
  const code = canonicalCode(input.code);
  const outcome = await withTransaction(ctx, async (tx) => {
    const [row] = code
      ? await tx.db
          .select()
          .from(workstations)
          .where(eq(workstations.enrolmentCodeHash, sha256(code)))
          .for('update')
      : [];
    const now = tx.now();
    const cause = !row
      ? 'unknown_code'
      : row.status === 'revoked'
        ? 'workstation_revoked'
        : row.enrolmentCodeUsedAt
          ? 'code_already_used'
          : !row.enrolmentExpiresAt || row.enrolmentExpiresAt <= now
            ? 'code_expired'
            : null;
    if (!row || cause) {
      await recordLoginFailure(tx, keys, policy);
      await recordAuditEvent(tx, {
        action: 'workstation.enrolment_refused',
        subjectType: 'workstation',
        subjectId: row?.id ?? null,
        actor: { accountId: null, username: null },
        summary: { cause, hostname: input.hostname ?? null },
      });
      return null;
    }
    const credential = newCredential();
    await tx.db
      .update(workstations)
      .set({
        status: 'enrolled',
        credentialHash: sha256(credential),
        enrolmentCodeUsedAt: now,
        enrolmentExpiresAt: null,
        enrolledAt: now,
        hostname: input.hostname ?? null,
      })
      .where(eq(workstations.id, row.id));
    await recordAuditEvent(tx, {
      action: 'workstation.enrolled',
      subjectType: 'workstation',
      subjectId: row.id,
      actor: { accountId: null, username: null },
      summary: { name: row.name, hostname: input.hostname ?? null },
    });
    const [org] = await tx.db
      .select({ odsCode: organisations.odsCode, name: organisations.name })
      .from(organisations)
      .where(eq(organisations.odsCode, row.odsCode));
    return {
      workstationId: row.id,
      workstationName: row.name,
      organisation: org ?? { odsCode: row.odsCode, name: row.odsCode },
      credential,
    };
  });
  if (!outcome) throw invalid();
  return outcome;
}

/** The workstation a bearer credential belongs to, if it is enrolled and not revoked. */
export async function authenticateAgent(
  ctx: ServiceContext,
  credential: string,
): Promise<{ id: string; name: string; odsCode: string } | null> {
  const [row] = await ctx.db
    .select({
      id: workstations.id,
      name: workstations.name,
      odsCode: workstations.odsCode,
      status: workstations.status,
    })
    .from(workstations)
    .where(eq(workstations.credentialHash, sha256(credential)));
  return row && row.status === 'enrolled' ? row : null;
}
