import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLogger, type Logger } from '../../server/logger.ts';

/**
 * Where test apps write their logs: the folder the integration run's global setup made
 * (test/support/log-check.ts reads it afterwards), or a shared one under the temp folder.
 */
export function testLogDir(): string {
  const dir = process.env.SMARTCARD_RA_TEST_LOG_DIR ?? join(tmpdir(), 'smartcard-ra-test-logs');
  mkdirSync(dir, { recursive: true });
  return dir;
}

let made = 0;

/**
 * A logger for a test app: everything at debug level into a file of its own (so a check
 * can read every line the run wrote), and TEST_LOG_LEVEL (default silent) to stdout.
 */
export function createTestLogger(): { logger: Logger; logFile: string } {
  made += 1;
  const logFile = join(testLogDir(), `${process.pid}-${made}.log`);
  const streams: { level: pino.Level; stream: pino.DestinationStream }[] = [
    { level: 'debug', stream: pino.destination({ dest: logFile, sync: true, mkdir: true }) },
  ];
  const stdoutLevel = process.env.TEST_LOG_LEVEL ?? 'silent';
  if (stdoutLevel !== 'silent') {
    streams.push({ level: stdoutLevel as pino.Level, stream: pino.destination(1) });
  }
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
  const lowest = levels.find((l) => streams.some((s) => s.level === l)) ?? 'debug';
  return { logger: createLogger(lowest, streams), logFile };
}

/** Personal data of a test person, as the log check looks for it. */
export interface TestPerson {
  names: (string | null | undefined)[];
  dateOfBirth?: string | null | undefined;
  email?: string | null | undefined;
}

/** Adds people to the run's registry of test people, whom no log line may name. */
export function recordTestPeople(people: TestPerson[]): void {
  if (people.length === 0) return;
  const lines = people.map((p) => `${JSON.stringify(p)}\n`).join('');
  appendFileSync(join(testLogDir(), `people-${process.pid}.jsonl`), lines);
}
