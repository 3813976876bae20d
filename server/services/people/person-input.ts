import { type FieldProblem, ValidationError } from '../../errors.ts';
import { todayOf } from '../dates.ts';

/** Checks a date of birth: a real date, not in the future, and a plausible age. */
export function dateOfBirthProblems(dateOfBirth: string, now: Date): FieldProblem[] {
  const today = todayOf(now);
  if (dateOfBirth > today) {
    return [{ field: 'dateOfBirth', message: 'is in the future: check the date of birth' }];
  }
  const years = Number(today.slice(0, 4)) - Number(dateOfBirth.slice(0, 4));
  if (years > 120) return [{ field: 'dateOfBirth', message: 'is more than 120 years ago' }];
  if (years < 15) {
    return [{ field: 'dateOfBirth', message: 'makes the person younger than 15: check the year' }];
  }
  return [];
}

export function assertNoProblems(problems: FieldProblem[], what: string): void {
  if (problems.length === 0) return;
  const fields = [...new Set(problems.map((p) => p.field))].join(', ');
  throw new ValidationError(`${what}: check ${fields}.`, problems);
}
