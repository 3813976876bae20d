import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import setup, { checkLogs } from './log-check.ts';

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 30, service: 'smartcard-ra', ...fields });

/** A log folder as a run leaves it: the people registry and one app's log. */
function logFolder(logLines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'log-check-test-'));
  const people = [
    { names: ['Plan', 'Holder 1402'], dateOfBirth: '1980-01-01', email: null },
    { names: ['Oswin', null, 'Holder'], email: 'oswin.holder@example.org' },
  ];
  writeFileSync(join(dir, 'people-1.jsonl'), people.map((p) => `${JSON.stringify(p)}\n`).join(''));
  writeFileSync(join(dir, '1-1.log'), logLines.map((l) => `${l}\n`).join(''));
  return dir;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the log check', () => {
  it('passes lines whose numbers are also the digits of a test name ("Holder 1402")', () => {
    const dir = logFolder([
      line({ requestId: '284f4232-1402-42aa-975e-9e487c2bf51c', status: 200, ms: 1402 }),
      line({ msg: 'request', path: '/api/people', status: 201 }),
    ]);
    dirs.push(dir);
    expect(checkLogs(dir)).toEqual({ lines: 2, files: 1, problems: [] });
  });

  it('finds a full name, a name on its own, a date of birth and an email', () => {
    const dir = logFolder([
      line({ msg: 'made Plan Holder 1402' }),
      line({ msg: 'card for Oswin' }),
      line({ family: 'Holder' }),
      line({ born: '1980-01-01' }),
      line({ to: 'oswin.holder@example.org' }),
      line({ msg: 'nothing personal here' }),
    ]);
    dirs.push(dir);
    const { problems } = checkLogs(dir);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).not.toContain('nothing personal');
  });

  it('fails the run through its exit code when a line names a test person', () => {
    const saved = process.env.SMARTCARD_RA_TEST_LOG_DIR;
    const savedExitCode = process.exitCode;
    delete process.env.SMARTCARD_RA_TEST_LOG_DIR;
    try {
      const teardown = setup();
      const dir = process.env.SMARTCARD_RA_TEST_LOG_DIR;
      if (!teardown || !dir) throw new Error('the setup made no log folder');
      dirs.push(dir);
      writeFileSync(join(dir, 'people-1.jsonl'), `${JSON.stringify({ names: ['Oswin'] })}\n`);
      writeFileSync(join(dir, '1-1.log'), `${line({ msg: 'card for Oswin' })}\n`);
      expect(teardown).toThrow(/1 log lines carry personal data/);
      // Vitest does not fail a run for an error thrown at teardown: the exit code does.
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = savedExitCode;
      if (saved === undefined) delete process.env.SMARTCARD_RA_TEST_LOG_DIR;
      else process.env.SMARTCARD_RA_TEST_LOG_DIR = saved;
    }
  });
});
