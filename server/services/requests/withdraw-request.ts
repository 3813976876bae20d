import { eq } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import { DomainError, ForbiddenError, NotFoundError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import { lockRequest } from './decide-request.ts';
import { assertOpen, noSuchRequest } from './request-rules.ts';

/**
 * Withdraws an open request: only whoever raised it may, changing their mind before anyone
 * decides (a decider who disagrees rejects it instead, with a reason). Others who see the
 * request (its subject, its deciders) are told why not; anyone else hears it does not exist.
 */
export async function withdrawRequest(ctx: ServiceContext, requestId: string, note?: string) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  return withTransaction(ctx, async (tx) => {
    const request = await lockRequest(tx, requestId);
    if (request.raisedBy !== actor.accountId) {
      const sees =
        request.personId === (await personIdOfActor(tx)) ||
        (await actorScope(tx)).covers('requests:decide', request.odsCode);
      if (!sees) throw new NotFoundError(noSuchRequest);
      throw new ForbiddenError(
        'Only whoever raised a request may withdraw it. A decider who disagrees rejects it, with a reason.',
      );
    }
    assertOpen(request);
    await tx.db
      .update(accessRequests)
      .set({
        status: 'withdrawn',
        decidedBy: actor.accountId,
        decidedAt: ctx.now(),
        // Their own words, if any: the request's state and who decided it say "withdrawn".
        decisionReason: note ?? null,
        claimedBy: null,
        claimedUntil: null,
      })
      .where(eq(accessRequests.id, requestId));
    await recordAuditEvent(tx, {
      action: 'request.withdrawn',
      subjectType: 'request',
      subjectId: requestId,
      summary: { kind: request.kind, note: note ?? null },
    });
  });
}
