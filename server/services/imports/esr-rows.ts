import { unsafeTextProblem } from '../../http/reject-unsafe-text.ts';
import { displayDate } from '../dates.ts';
import { nameKey } from '../people/name-keys.ts';
import { dateOfBirthProblems } from '../people/person-input.ts';
import { fileProblem } from './read-csv.ts';

/**
 * The columns of an ESR staff file, in this order, as docs/esr-import.md documents them.
 * The header line names them (case and spaces around them do not matter).
 */
export const esrColumns = [
  'employee_number',
  'family_name',
  'given_name',
  'date_of_birth',
  'work_email',
  'ods_code',
  'job_role_code',
  'start_date',
  'end_date',
] as const;
export type EsrColumn = (typeof esrColumns)[number];

/** One staff record as read and checked on its own (before the database has a say). */
export interface EsrRow {
  employeeNumber: string;
  familyName: string;
  givenName: string;
  dateOfBirth: string;
  email: string | null;
  odsCode: string;
  roleCode: string;
  startDate: string;
  endDate: string | null;
  /** The names as search and the duplicate check compare them (name-keys.ts), made once. */
  givenKey: string;
  familyKey: string;
}

/** Checks the header line; a wrong one refuses the file, naming what is missing or extra. */
export function checkEsrHeader(fields: string[]): void {
  const got = fields.map((f) => f.trim().toLowerCase());
  if (got.length === esrColumns.length && got.every((f, i) => f === esrColumns[i])) return;
  const missing = esrColumns.filter((c) => !got.includes(c));
  const unknown = got.filter((f) => !(esrColumns as readonly string[]).includes(f));
  const parts = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    unknown.length
      ? `not ESR columns: ${unknown.map((u) => `"${u.slice(0, 40)}"`).join(', ')}`
      : '',
    !missing.length && !unknown.length ? 'the columns are in another order' : '',
  ].filter(Boolean);
  throw fileProblem(
    `Line 1 must be the header ${esrColumns.join(',')} (${parts.join('; ')}). Export the file from ESR with these columns, in this order.`,
  );
}

const employeeNumberPattern = /^[0-9]{1,12}(-[0-9]{1,3})?$/;
const odsPattern = /^[A-Z0-9]{3,6}$/;
const rolePattern = /^R[0-9]{4}$/;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/**
 * A spreadsheet reads a cell starting with one of these as a formula (`=cmd|' /C calc'!A0`).
 * No name starts so, and a name stored so would run when someone exports it: refused.
 */
const formulaStart = /^[=+\-@\t\r]/;

/** A date as ESR exports it (YYYY-MM-DD, or DD/MM/YYYY as a UK spreadsheet saves it), ISO. */
export function esrDate(text: string): string | null {
  // Most dates: YYYY-MM-DD of a day that exists, as written.
  if (text.length === 10 && text[4] === '-' && text[7] === '-') {
    const y = Number(text.slice(0, 4));
    const m = Number(text.slice(5, 7));
    const d = Number(text.slice(8, 10));
    if (
      Number.isInteger(y) &&
      Number.isInteger(m) &&
      Number.isInteger(d) &&
      /^\d{4}-\d{2}-\d{2}$/.test(text) &&
      y >= 1900 &&
      m >= 1 &&
      m <= 12 &&
      d >= 1 &&
      d <= daysIn(y, m)
    ) {
      return text;
    }
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const [y, m, d] = iso
    ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
    : uk
      ? [Number(uk[3]), Number(uk[2]), Number(uk[1])]
      : [0, 0, 0];
  if (!y || y < 1900 || y > 9999) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** Days in month `m` (1–12) of year `y`, leap years counted. */
function daysIn(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

const labels: Record<EsrColumn, string> = {
  employee_number: 'employee number',
  family_name: 'family name',
  given_name: 'given name',
  date_of_birth: 'date of birth',
  work_email: 'work email',
  ods_code: 'ODS code',
  job_role_code: 'job role code',
  start_date: 'start date',
  end_date: 'end date',
};

/** Where each column is in a record. */
const columnIndex = Object.fromEntries(esrColumns.map((c, i) => [c, i])) as Record<
  EsrColumn,
  number
>;

/** Printable ASCII alone: nothing `unsafeTextProblem` could object to (most fields). */
const plainText = /^[\x20-\x7E]*$/;

/** A value fit to quote back in a message: short, and never a formula or control text. */
export function quoted(text: string): string {
  const safe = unsafeTextProblem(text) ? '(unreadable text)' : text.slice(0, 40);
  return `"${safe.replace(/^[=+\-@]/, "'$&")}"`;
}

/**
 * A record's ODS and job role codes, each where it is written as one (null where not), so a
 * row refused for other fields can still be told that its codes are unknown: the dry run
 * names every problem of a line at once, not one round of fixes at a time.
 */
export function esrCodes(fields: string[]): { odsCode: string | null; roleCode: string | null } {
  if (fields.length !== esrColumns.length) return { odsCode: null, roleCode: null };
  const code = (c: EsrColumn, pattern: RegExp) => {
    const text = (fields[columnIndex[c]] ?? '').trim().toUpperCase();
    return pattern.test(text) ? text : null;
  };
  return { odsCode: code('ods_code', odsPattern), roleCode: code('job_role_code', rolePattern) };
}

/**
 * Reads one record's fields by the columns and checks each on its own: the row, or every
 * problem of it in words (the line is the caller's to name). `today` is the trust's.
 */
export function readEsrRow(
  fields: string[],
  now: Date,
): { row: EsrRow; problems: [] } | { row: null; problems: string[] } {
  if (fields.length !== esrColumns.length) {
    return {
      row: null,
      problems: [`has ${fields.length} fields; a staff record has ${esrColumns.length}`],
    };
  }
  const values = fields.map((f) => f.trim());
  const value = (c: EsrColumn) => values[columnIndex[c]] ?? '';
  const problems: string[] = [];
  for (const [i, c] of esrColumns.entries()) {
    const text = values[i] ?? '';
    const problem = plainText.test(text) ? null : unsafeTextProblem(text);
    if (problem) problems.push(`the ${labels[c]} ${problem}`);
  }
  if (problems.length) return { row: null, problems };

  const employeeNumber = value('employee_number');
  if (!employeeNumber) problems.push('the employee number is empty');
  else if (!employeeNumberPattern.test(employeeNumber)) {
    problems.push(
      `the employee number ${quoted(employeeNumber)} is not one (digits, as 12345678 or 12345678-2)`,
    );
  }
  for (const c of ['family_name', 'given_name'] as const) {
    const name = value(c);
    if (!name) problems.push(`the ${labels[c]} is empty`);
    else if (name.length > 100) problems.push(`the ${labels[c]} is longer than 100 characters`);
    else if (formulaStart.test(name)) {
      problems.push(
        `the ${labels[c]} ${quoted(name)} starts with "${name[0]}", which a spreadsheet would run as a formula: no name starts so`,
      );
    }
  }
  const dateOf = (c: EsrColumn) => {
    const text = value(c);
    if (!text) return null;
    const date = esrDate(text);
    if (!date) {
      problems.push(
        `the ${labels[c]} ${quoted(text)} is not a date (write it as YYYY-MM-DD or DD/MM/YYYY)`,
      );
    }
    return date;
  };
  const dateOfBirth = dateOf('date_of_birth');
  if (!value('date_of_birth')) problems.push('the date of birth is empty');
  else if (dateOfBirth) {
    for (const p of dateOfBirthProblems(dateOfBirth, now)) {
      problems.push(`the date of birth ${displayDate(dateOfBirth)}: ${p.message.toLowerCase()}`);
    }
  }
  const email = value('work_email') || null;
  if (email && (email.length > 254 || !emailPattern.test(email))) {
    problems.push(`the work email ${quoted(email)} is not an email address`);
  }
  const odsCode = value('ods_code').toUpperCase();
  if (!odsPattern.test(odsCode)) {
    problems.push(`the ODS code ${quoted(value('ods_code'))} is not one (like RWG01)`);
  }
  const roleCode = value('job_role_code').toUpperCase();
  if (!rolePattern.test(roleCode)) {
    problems.push(`the job role code ${quoted(value('job_role_code'))} is not one (like R8001)`);
  }
  const startDate = dateOf('start_date');
  if (!value('start_date')) problems.push('the start date is empty');
  const endDate = dateOf('end_date');
  if (startDate && endDate && endDate < startDate) {
    problems.push(
      `the end date ${displayDate(endDate)} is before the start date ${displayDate(startDate)}`,
    );
  }
  if (problems.length || !dateOfBirth || !startDate) return { row: null, problems };
  const familyName = value('family_name');
  const givenName = value('given_name');
  return {
    row: {
      employeeNumber,
      familyName,
      givenName,
      dateOfBirth,
      email,
      odsCode,
      roleCode,
      startDate,
      endDate,
      givenKey: nameKey(givenName),
      familyKey: nameKey(familyName),
    },
    problems: [],
  };
}
