import type { FieldProblem } from '../../errors.ts';
import { addDays, addYears, displayDate } from '../dates.ts';

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
 * What is wrong with an assignment's dates on `today`, each naming its field and, in words
 * for a person, the dates allowed. `earliestStart` is the first start date accepted:
 * `today` less the backdating allowance for a direct assignment, `today` for a request
 * (access is asked for ahead).
 */
export function assignmentDateProblems(
  dates: AssignmentDates,
  today: string,
  earliestStart: string,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { startDate, endDate } = dates;
  const latestStart = addYears(today, assignmentDateLimits.startYearsAhead);
  const range = `from ${displayDate(earliestStart)} to ${displayDate(latestStart)}`;
  if (startDate < earliestStart) {
    problems.push({
      field: 'startDate',
      message:
        earliestStart === today
          ? `Enter a start date from today (${displayDate(today)}) to ${displayDate(latestStart)}: it cannot be in the past`
          : `Enter a start date ${range}: it cannot be more than ${assignmentDateLimits.backdateDays} days ago`,
    });
  } else if (startDate > latestStart) {
    problems.push({
      field: 'startDate',
      message: `Enter a start date ${range}: it cannot be more than a year ahead`,
    });
  }
  if (endDate !== null) {
    const latestEnd = addYears(startDate, assignmentDateLimits.termYears);
    if (endDate < startDate) {
      problems.push({
        field: 'endDate',
        message: `Enter an end date on or after the start date (${displayDate(startDate)})`,
      });
    } else if (endDate < today) {
      problems.push({
        field: 'endDate',
        message: `Enter an end date from today (${displayDate(today)}): this one has passed`,
      });
    } else if (endDate > latestEnd) {
      problems.push({
        field: 'endDate',
        message: `Enter an end date by ${displayDate(latestEnd)}, ${assignmentDateLimits.termYears} years after the start, or leave it empty for no end date`,
      });
    }
  }
  return problems;
}

/** The first start date a direct assignment accepts on `today`. */
export function earliestDirectStart(today: string): string {
  return addDays(today, -assignmentDateLimits.backdateDays);
}
