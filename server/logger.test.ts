import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createLogger, safeError } from './logger.ts';

function databaseError() {
  const cause = Object.assign(new Error('invalid input syntax for type date: "1961-13-40"'), {
    code: '22008',
    detail: 'Key (email)=(ann.other@example.nhs.uk) already exists.',
    where: 'SQL statement with Ann Other',
    table: 'people',
  });
  return new DrizzleQueryError(
    'insert into "people" ("given_name", "date_of_birth") values ($1, $2)',
    ['Ann', '1961-13-40'],
    cause,
  );
}

describe('logging an error', () => {
  it('keeps the query shape and the database code, and drops every value', () => {
    const out = safeError(databaseError());
    const text = JSON.stringify(out);
    expect(out.message).toBe(
      'Failed query: insert into "people" ("given_name", "date_of_birth") values ($1, $2)',
    );
    expect(out.query).toMatch(/values \(\$1, \$2\)/);
    expect(out.cause).toMatchObject({ code: '22008', table: 'people' });
    for (const value of ['Ann', '1961-13-40', 'ann.other@', 'params']) {
      expect(text).not.toContain(value);
    }
  });

  it('cleans an error logged as the first argument, message included', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger('info', [{ level: 'info', stream: sink }]);
    log.error(databaseError());
    log.error({ err: databaseError(), requestId: 'r-1' }, 'unhandled error');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toContain('Failed query: insert into');
      expect(line).not.toContain('Ann');
      expect(line).not.toContain('1961-13-40');
    }
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({
      requestId: 'r-1',
      msg: 'unhandled error',
    });
  });
});
