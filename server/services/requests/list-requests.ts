import { and, eq, or, type SQL } from 'drizzle-orm';
import { accessRequests } from '../../../db/schema/access.ts';
import { DomainError, ForbiddenError } from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
import { decodeCursor, encodeCursor } from '../paging/page-cursor.ts';
import { personIdOfActor } from '../people/person-of-actor.ts';
import {
  beforeCursor,
  inOrganisations,
  openOrRecentlyDecided,
  selectRequests,
} from './request-view.ts';

/** Decided requests stay in inboxes this long (DOMAIN.md); all stay in the database. */
export const decidedVisibleDays = 30;

export interface ListRequestsInput {
  /** `inbox`: requests the caller may decide; `mine`: raised by or for the caller. */
  view: 'inbox' | 'mine';
  status?: 'open' | 'decided' | undefined;
  personId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export async function listRequests(ctx: ServiceContext, input: ListRequestsInput) {
  const actor = ctx.actor;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  // Inboxes drop requests decided over 30 days ago; a person's page keeps their history.
  // Open requests are always shown, so asking for them needs no such condition: without it
  // (an OR of open and recently decided), a page of an organisation's open requests is read
  // in order off access_requests_inbox_idx (64 pages at national scale, not 745).
  const where: SQL[] =
    input.personId || input.status === 'open'
      ? []
      : [openOrRecentlyDecided(ctx.now(), decidedVisibleDays)];
  if (input.view === 'inbox') {
    if (!actor.permissions.includes('requests:decide')) {
      throw new ForbiddenError('Your role does not decide requests: use view=mine.');
    }
    const scope = (await actorScope(ctx)).of('requests:decide');
    if (!scope.all) where.push(inOrganisations(scope.odsCodes));
  } else {
    const me = await personIdOfActor(ctx);
    const mine = [eq(accessRequests.raisedBy, actor.accountId)];
    if (me) mine.push(eq(accessRequests.personId, me));
    where.push(or(...mine) as SQL);
  }
  if (input.status === 'open') where.push(eq(accessRequests.status, 'open'));
  if (input.status === 'decided')
    where.push(
      or(eq(accessRequests.status, 'approved'), eq(accessRequests.status, 'rejected')) as SQL,
    );
  if (input.personId) where.push(eq(accessRequests.personId, input.personId));
  if (input.cursor) {
    const [raisedAt, id] = decodeCursor(input.cursor, ['timestamp', 'uuid']);
    where.push(beforeCursor({ raisedAt, id }));
  }
  const rows = await selectRequests(ctx, and(...where), input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page,
    nextCursor: rows.length > input.limit && last ? encodeCursor([last.raisedAt, last.id]) : null,
  };
}
