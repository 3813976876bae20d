/** How an assignment stands today, from its dates and whether it was ended. */
export const assignmentStates = [
  'active',
  'future',
  'expired',
  'removed',
  'position_closed',
  'person_closed',
] as const;
export type AssignmentState = (typeof assignmentStates)[number];

export function assignmentState(
  a: { startDate: string; endDate: string | null; endReason: string | null; endedAt: Date | null },
  today: string,
): AssignmentState {
  if (a.endedAt) {
    if (a.endReason === 'position_closed' || a.endReason === 'person_closed') return a.endReason;
    return a.endReason === 'expired' ? 'expired' : 'removed';
  }
  if (a.endDate && a.endDate < today) return 'expired';
  if (a.startDate > today) return 'future';
  return 'active';
}
