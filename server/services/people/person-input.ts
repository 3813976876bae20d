import type { FieldProblem } from '../../errors.ts';
import { todayOf } from '../dates.ts';

/**
 * Checks a date of birth against the trust's today: not in the future, and a plausible
 * age. Here rather than in the schema, as "today" is the service context's clock.
 */
export function dateOfBirthProblems(dateOfBirth: string, now: Date): FieldProblem[] {
  const today = todayOf(now);
  if (dateOfBirth > today) {
    return [{ field: 'dateOfBirth', message: 'Enter a date of birth in the past' }];
  }
  const years = Number(today.slice(0, 4)) - Number(dateOfBirth.slice(0, 4));
  if (years > 120) {
    return [{ field: 'dateOfBirth', message: 'Enter a date of birth less than 120 years ago' }];
  }
  if (years < 15) {
    return [
      {
        field: 'dateOfBirth',
        message: 'Check the year: this date of birth makes the person younger than 15',
      },
    ];
  }
  return [];
}
