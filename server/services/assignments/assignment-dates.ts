import { type FieldProblem, ValidationError } from '../../errors.ts';
import { addDays, addYears } from '../dates.ts';

/**
 * How far the dates of an assignment may reach. An RA agent records access that started
 * last week when the paperwork catches up, but not last year; plans a start up to a year
 * ahead (new starters, rotations); and gives a fixed term of up to five years (training
 * posts, long contracts). Anything further is a typing slip (1800-01-01, 2206) or a
 * decision for a new assignment later. No end date means "until removed".
 */
export const assignmentDateLimits = {
  /** A direct assignment may start this many days before today. */
  backdateDays: 30,
  /** A start date may be at most this many years after today. */
  startYearsAhead: 1,
  /** An end date may be at most this many years after the start. */
  termYears: 5,
} as const;

export interface AssignmentDates {
  startDate: string;
  endDate: string | null;
}

/**
 * What is wrong with an assignment's dates on `today`, each naming its field and what is
 * allowed. `earliestStart` is the first start date accepted: `today` less the backdating
 * allowance for a direct assignment, `today` for a request (access is asked for ahead).
 */
export function assignmentDateProblems(
  dates: AssignmentDates,
  today: string,
  earliestStart: string,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { startDate, endDate } = dates;
  const latestStart = addYears(today, assignmentDateLimits.startYearsAhead);
  if (startDate < earliestStart) {
    problems.push({
      field: 'startDate',
      message:
        earliestStart === today
          ? `is in the past: it must be today (${today}) or later, up to ${latestStart}`
          : `is more than ${assignmentDateLimits.backdateDays} days ago: it must be from ${earliestStart} to ${latestStart}`,
    });
  } else if (startDate > latestStart) {
    problems.push({
      field: 'startDate',
      message: `is more than a year ahead: it must be from ${earliestStart} to ${latestStart}`,
    });
  }
  if (endDate !== null) {
    const latestEnd = addYears(startDate, assignmentDateLimits.termYears);
    if (endDate < startDate) {
      problems.push({ field: 'endDate', message: `is before the start date ${startDate}` });
    } else if (endDate < today) {
      problems.push({
        field: 'endDate',
        message: `has already passed: it must be today (${today}) or later`,
      });
    } else if (endDate > latestEnd) {
      problems.push({
        field: 'endDate',
        message: `is more than ${assignmentDateLimits.termYears} years after the start: it must be ${latestEnd} or earlier, or left empty for no end date`,
      });
    }
  }
  return problems;
}

const fieldNames: Record<string, string> = { startDate: 'start date', endDate: 'end date' };

/** Refuses dates with problems, one sentence naming each field and what is allowed. */
export function assertAssignmentDates(
  dates: AssignmentDates,
  today: string,
  earliestStart: string,
): void {
  const problems = assignmentDateProblems(dates, today, earliestStart);
  if (!problems.length) return;
  const said = problems.map((p) => `the ${fieldNames[p.field] ?? p.field} ${p.message}`);
  const sentence = said.join('; ');
  throw new ValidationError(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`, problems);
}

/** The first start date a direct assignment accepts on `today`. */
export function earliestDirectStart(today: string): string {
  return addDays(today, -assignmentDateLimits.backdateDays);
}
