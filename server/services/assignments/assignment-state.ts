/** How an assignment stands today, from its dates and whether it was ended. */
export type AssignmentState = 'active' | 'future' | 'expired' | 'removed' | 'position_closed';

export function assignmentState(
  a: { startDate: string; endDate: string | null; endReason: string | null; endedAt: Date | null },
  today: string,
): AssignmentState {
  if (a.endedAt)
    return a.endReason === 'position_closed'
      ? 'position_closed'
      : a.endReason === 'expired'
        ? 'expired'
        : 'removed';
  if (a.endDate && a.endDate < today) return 'expired';
  if (a.startDate > today) return 'future';
  return 'active';
}
