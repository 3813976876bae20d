import { eq } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import { NotFoundError } from '../../errors.ts';
import { createAssignment } from '../assignments/assign-position.ts';
import { endAssignment } from '../assignments/remove-assignment.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import {
  assertMayDecide,
  assertNotClaimedByOther,
  assertOpen,
  claimMinutes,
  noSuchRequest,
} from './request-rules.ts';

/**
 * The request, its row locked for the rest of the transaction; 404 when unknown. Locked for
 * the whole decision, so two reviewers deciding at the same moment queue: the second sees
 * the first's decision and gets ALREADY_DECIDED.
 */
export async function lockRequest(ctx: ServiceContext, requestId: string) {
  const [request] = await ctx.db
    .select()
    .from(accessRequests)
    .where(eq(accessRequests.id, requestId))
    .for('update');
  if (!request) throw new NotFoundError(noSuchRequest);
  return request;
}

/** Opens a request to decide it: holds it for this reviewer for 15 minutes. */
export async function claimRequest(ctx: ServiceContext, requestId: string) {
  return withTransaction(ctx, async (tx) => {
    const request = await lockRequest(tx, requestId);
    await assertMayDecide(tx, request);
    assertOpen(request);
    await assertNotClaimedByOther(tx, request);
    const claimedUntil = new Date(ctx.now().getTime() + claimMinutes * 60_000);
    await tx.db
      .update(accessRequests)
      .set({ claimedBy: ctx.actor?.accountId ?? null, claimedUntil })
      .where(eq(accessRequests.id, requestId));
    await recordAuditEvent(tx, {
      action: 'request.claimed',
      subjectType: 'request',
      subjectId: requestId,
      summary: { claimedUntil: claimedUntil.toISOString() },
    });
    return { claimedUntil };
  });
}

/** Approves: the assignment is made (or ended) in the same transaction as the decision. */
export async function approveRequest(ctx: ServiceContext, requestId: string, note?: string) {
  return withTransaction(ctx, async (tx) => {
    const request = await lockRequest(tx, requestId);
    await assertMayDecide(tx, request);
    assertOpen(request);
    await assertNotClaimedByOther(tx, request);
    let assignmentId: string;
    if (request.kind === 'assign') {
      const assignment = await createAssignment(tx, {
        personId: request.personId,
        positionId: request.positionId,
        startDate: request.startDate ?? undefined,
        endDate: request.endDate,
        requestId: request.id,
      });
      assignmentId = assignment.id;
    } else {
      // raiseRequest recorded the open assignment for every removal request.
      assignmentId = request.assignmentId ?? '';
      await endAssignment(tx, {
        personId: request.personId,
        assignmentId,
        note: note ?? request.note ?? 'Removed on request',
      });
    }
    await tx.db
      .update(accessRequests)
      .set({
        status: 'approved',
        decidedBy: ctx.actor?.accountId ?? null,
        decidedAt: ctx.now(),
        decisionReason: note ?? null,
        claimedBy: null,
        claimedUntil: null,
      })
      .where(eq(accessRequests.id, requestId));
    await recordAuditEvent(tx, {
      action: 'request.approved',
      subjectType: 'request',
      subjectId: requestId,
      summary: { kind: request.kind, assignmentId, note: note ?? null },
    });
    return { assignmentId };
  });
}

/** Rejects, with the reason the requester will read. */
export async function rejectRequest(ctx: ServiceContext, requestId: string, reason: string) {
  return withTransaction(ctx, async (tx) => {
    const request = await lockRequest(tx, requestId);
    await assertMayDecide(tx, request);
    assertOpen(request);
    await assertNotClaimedByOther(tx, request);
    await tx.db
      .update(accessRequests)
      .set({
        status: 'rejected',
        decidedBy: ctx.actor?.accountId ?? null,
        decidedAt: ctx.now(),
        decisionReason: reason,
        claimedBy: null,
        claimedUntil: null,
      })
      .where(eq(accessRequests.id, requestId));
    await recordAuditEvent(tx, {
      action: 'request.rejected',
      subjectType: 'request',
      subjectId: requestId,
      summary: { kind: request.kind, reason },
    });
  });
}
