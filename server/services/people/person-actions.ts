import { and, eq, inArray } from 'drizzle-orm';
import { assignments } from '../../../db/schema/access.ts';
import { cards } from '../../../db/schema/cards.ts';
import type { PersonStatus } from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';
import { canMove } from './person-status.ts';
import { mayChangeRecordOf } from './ra-staff-records.ts';

/** What a caller may do to a person, as the person's page offers it. */
export const personActionNames = [
  'edit',
  'suspend',
  'reactivate',
  'close',
  'recordIdentityCheck',
  'assignPosition',
  'requestPosition',
  'issueCard',
] as const;
export type PersonAction = (typeof personActionNames)[number];

/**
 * What the caller may do to this person now: the checks the verbs themselves make (scope
 * of each permission over the person's organisations, separation of duties, the person's
 * status), asked once, so the page offers only what would be allowed. Nobody acts on their
 * own record here; their own requests are raised from "My access".
 */
export async function personActions(
  ctx: ServiceContext,
  person: {
    id: string;
    status: PersonStatus;
    accountId: string | null;
    odsCodes: readonly string[];
    identityChecked: boolean;
    /** The certificates name the work email: a card is issued only to a person with one. */
    email?: string | null;
  },
): Promise<PersonAction[]> {
  const actor = ctx.actor;
  if (!actor || (person.accountId !== null && person.accountId === actor.accountId)) return [];
  const scope = await actorScope(ctx);
  const may = (permission: Parameters<typeof scope.coversAny>[0]) =>
    scope.coversAny(permission, person.odsCodes);
  const actions: PersonAction[] = [];
  // A member of the RA team's record is their manager's to change (ra-staff-records.ts).
  const mayChange = await mayChangeRecordOf(ctx, person);
  if (mayChange && may('people:edit') && person.status !== 'closed') actions.push('edit');
  if (mayChange && may('people:change-status')) {
    for (const move of ['suspend', 'reactivate', 'close'] as const) {
      if (canMove(move, person.status)) actions.push(move);
    }
  }
  if (may('people:register') && person.status === 'pending_id_check' && !person.identityChecked) {
    actions.push('recordIdentityCheck');
  }
  if (person.status === 'active') {
    if (may('assignments:assign-assignable')) actions.push('assignPosition');
    if (may('requests:raise')) actions.push('requestPosition');
    if (
      may('cards:issue') &&
      person.identityChecked &&
      person.email &&
      (await readyForCard(ctx, person.id))
    ) {
      actions.push('issueCard');
    }
  }
  return actions;
}

/**
 * As createCardJob asks before issuing: a position held today, and no card in use (issued,
 * active, blocked or suspended), which would have to be cancelled as replaced first.
 */
async function readyForCard(ctx: ServiceContext, personId: string): Promise<boolean> {
  const [held] = await ctx.db
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.personId, personId), isHeld(todayOf(ctx.now()))))
    .limit(1);
  if (!held) return false;
  const [inUse] = await ctx.db
    .select({ id: cards.id })
    .from(cards)
    .where(
      and(
        eq(cards.personId, personId),
        inArray(cards.state, ['issued_locked', 'active', 'blocked', 'suspended']),
      ),
    )
    .limit(1);
  return !inUse;
}
