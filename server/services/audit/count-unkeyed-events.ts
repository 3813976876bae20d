import { and, count, eq, lt, min } from 'drizzle-orm';
import type { Database } from '../../../db/client.ts';
import { auditEvents } from '../../../db/schema/audit.ts';

/**
 * How many unkeyed (version-1) events the trail holds, and how many of them come before
 * its first keyed event: the count an operator upgrading a pre-keyed trail sets as
 * AUDIT_UNKEYED_EVENTS. Reported only; verification trusts the setting, never this.
 */
export async function countUnkeyedEvents(
  db: Database,
): Promise<{ unkeyed: number; leading: number }> {
  const [firstKeyed] = await db
    .select({ id: min(auditEvents.id) })
    .from(auditEvents)
    .where(eq(auditEvents.hashVersion, 2));
  const [all] = await db
    .select({ n: count() })
    .from(auditEvents)
    .where(eq(auditEvents.hashVersion, 1));
  const unkeyed = Number(all?.n ?? 0);
  if (firstKeyed?.id == null) return { unkeyed, leading: unkeyed };
  const [before] = await db
    .select({ n: count() })
    .from(auditEvents)
    .where(and(eq(auditEvents.hashVersion, 1), lt(auditEvents.id, Number(firstKeyed.id))));
  return { unkeyed, leading: Number(before?.n ?? 0) };
}
