import type { PersonStatus } from '../../../db/schema/people.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';
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
  }
  return actions;
}
