import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoAccounts } from '../../server/services/demo/seed-demo.ts';
import type { TestPerson } from './test-logs.ts';

/**
 * Name parts that are also ordinary words of this app ("Sky Staff", "Morgan Manager" are
 * demo people; "staff" and "manager" are also roles): these are checked as part of the full
 * name only, with the person's date of birth and email.
 */
const ordinaryWords = new Set(
  [
    ...demoAccounts.flatMap((a) => [a.username, ...a.displayName.split(' ').slice(1)]),
    'Demo',
    'Test',
    'Pending',
    'Hash',
    'Person',
  ].map((w) => w.toLowerCase()),
);

const hasLetter = /\p{L}/u;

/** What no log line may contain, from the registry the test apps wrote (and the demo seed). */
function forbiddenTerms(dir: string): string[] {
  const people: TestPerson[] = demoAccounts.map((a) => ({
    names: a.displayName.split(' '),
    email: `${a.username}@demo.nhs.example`,
  }));
  for (const file of readdirSync(dir).filter((f) => f.startsWith('people-'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line) people.push(JSON.parse(line) as TestPerson);
    }
  }
  const terms = new Set<string>();
  for (const person of people) {
    const names = person.names.filter((n): n is string => !!n && n.trim().length > 0);
    if (names.length > 1) terms.add(names.slice(0, 3).join(' '));
    for (const name of names) {
      for (const part of name.split(/\s+/)) {
        // A part with no letter ("Holder 1402" of a bulk test's people) names nobody alone,
        // and as a term it would match every status code, duration and id with those digits;
        // the full name still counts, and so do the name's other parts.
        if (part.length >= 3 && hasLetter.test(part) && !ordinaryWords.has(part.toLowerCase())) {
          terms.add(part);
        }
      }
    }
    if (person.dateOfBirth) terms.add(person.dateOfBirth);
    if (person.email) terms.add(person.email);
  }
  return [...terms];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Reads every log line the test apps of the run wrote and fails the run if one names a
 * test person, or gives their date of birth or email (issue 8: no personal data in logs).
 */
export function checkLogs(dir: string): { lines: number; files: number; problems: string[] } {
  const terms = forbiddenTerms(dir);
  // Whole words only, so "Ada" does not match "Adaptive"; letters of any script count.
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{N}])(${terms.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`,
    'u',
  );
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
  let lines = 0;
  const problems: string[] = [];
  for (const file of logs) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      const found = terms.length ? pattern.exec(line) : null;
      if (found) problems.push(`${file}: "${found[1]}" in ${line.slice(0, 400)}`);
    }
  }
  return { lines, files: logs.length, problems };
}

/**
 * Vitest global setup: a fresh log folder for this run, checked when the run ends. Every
 * project inherits it; the first to run makes the folder (its workers and those of the
 * projects after it log there) and checks it at the end, the others leave it to that one.
 */
export default function setup() {
  if (process.env.SMARTCARD_RA_TEST_LOG_DIR) return;
  const dir = mkdtempSync(join(tmpdir(), 'smartcard-ra-test-logs-'));
  process.env.SMARTCARD_RA_TEST_LOG_DIR = dir;
  return () => {
    const { lines, files, problems } = checkLogs(dir);
    console.log(
      `log check: ${lines} log lines in ${files} files checked for test people's names, dates of birth and emails`,
    );
    if (problems.length) {
      // Vitest reports an error thrown here ("error during close") but still exits 0, as if
      // the run had passed: the exit code must say it failed.
      process.exitCode = 1;
      throw new Error(
        `${problems.length} log lines carry personal data (logs kept in ${dir}):\n${problems.slice(0, 20).join('\n')}`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
    delete process.env.SMARTCARD_RA_TEST_LOG_DIR;
  };
}
