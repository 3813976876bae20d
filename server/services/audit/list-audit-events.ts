import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import { auditEvents } from '../../../db/schema/audit.ts';
import type { ServiceContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../paging/page-cursor.ts';

export interface AuditFilter {
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  /** An account id or a username. */
  actor?: string | undefined;
  action?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** The previous page's `nextCursor`: return the events older than its last. */
  cursor?: string | undefined;
  limit: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Newest first, keyset-paginated by id so a page costs the same however deep it is. */
export async function listAuditEvents(ctx: ServiceContext, filter: AuditFilter) {
  const where: SQL[] = [];
  if (filter.subjectType) where.push(eq(auditEvents.subjectType, filter.subjectType));
  if (filter.subjectId) where.push(eq(auditEvents.subjectId, filter.subjectId));
  if (filter.action) where.push(eq(auditEvents.action, filter.action));
  if (filter.actor) {
    const byName = eq(auditEvents.actorUsername, filter.actor);
    where.push(
      uuidPattern.test(filter.actor)
        ? (or(eq(auditEvents.actorAccountId, filter.actor), byName) as SQL)
        : byName,
    );
  }
  if (filter.from) where.push(gte(auditEvents.occurredAt, filter.from));
  if (filter.to) where.push(lte(auditEvents.occurredAt, filter.to));
  if (filter.cursor) where.push(lt(auditEvents.id, decodeCursor(filter.cursor, ['serial'])[0]));
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page,
    nextCursor: rows.length > filter.limit && last ? encodeCursor([last.id]) : null,
  };
}
