import { eq } from 'drizzle-orm';
import { type PersonStatus, people } from '../../../db/schema/people.ts';
import { ConflictError, NotFoundError, SeparationOfDutiesError } from '../../errors.ts';
import { assertPersonInScope, noSuchPerson } from '../access/person-access.ts';
import type { TxContext } from '../context.ts';
import { assertMayChangeRecordOf } from './ra-staff-records.ts';

/**
 * The moves between a person's statuses that suspending, reactivating and closing make.
 * Only an identity check makes a pending person active; nothing reopens a closed person
 * (their user ID is never reused, and their record stays as it was).
 */
export const statusMoves = {
  suspend: { from: ['active'], to: 'suspended' },
  reactivate: { from: ['suspended'], to: 'active' },
  close: { from: ['pending_id_check', 'active', 'suspended'], to: 'closed' },
} as const satisfies Record<string, { from: readonly PersonStatus[]; to: PersonStatus }>;

export type StatusMove = keyof typeof statusMoves;

/** Whether a person of `status` can be moved by `move`. */
export function canMove(move: StatusMove, status: PersonStatus): boolean {
  return (statusMoves[move].from as readonly PersonStatus[]).includes(status);
}

/**
 * Locks the person for a change of status and checks that the caller may make it: 404 for
 * a person they may not see, 403 outside their organisations or on their own record, 409
 * when the person's status does not allow it.
 */
export async function lockPersonForMove(tx: TxContext, personId: string, move: StatusMove) {
  const [person] = await tx.db.select().from(people).where(eq(people.id, personId)).for('update');
  if (!person) throw new NotFoundError(noSuchPerson);
  await assertPersonInScope(tx, 'people:change-status', personId, 'change the status of people');
  if (person.accountId && person.accountId === tx.actor?.accountId) {
    throw new SeparationOfDutiesError('You cannot change your own status: ask a colleague.');
  }
  await assertMayChangeRecordOf(tx, person);
  if (!canMove(move, person.status)) {
    const name = `${person.givenName} ${person.familyName}`;
    throw new ConflictError(
      person.status === 'closed'
        ? `${name} is closed: a closed record stays closed.`
        : `${name} is ${person.status.replaceAll('_', ' ')}, so cannot be made ${statusMoves[move].to}.`,
    );
  }
  return person;
}
