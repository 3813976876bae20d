import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { endSession } from './sessions.ts';

/** Ends the caller's session and records it. */
export async function signOut(ctx: ServiceContext, sessionId: string): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    await endSession(tx, sessionId);
    await recordAuditEvent(tx, {
      action: 'auth.logout',
      subjectType: 'account',
      subjectId: ctx.actor?.accountId ?? null,
      summary: { sessionId },
    });
  });
}
