import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { recordTestPeople } from '../support/test-logs.ts';

const person = {
  givenName: 'Wilhelmina',
  familyName: 'Quarrington',
  dateOfBirth: '1974-03-15',
  email: 'wilhelmina.quarrington@demo.nhs.example',
  odsCodes: ['RWG01'],
};

describe.each(testDrivers)('errors in the log (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
    // The log check of the whole run looks for her too, though she is never stored.
    recordTestPeople([
      {
        names: [person.givenName, person.familyName],
        dateOfBirth: person.dateOfBirth,
        email: person.email,
      },
    ]);
    // A database that refuses every new person, saying who in its error's detail.
    await t.db.execute(
      sql.raw(`create function refuse_people() returns trigger language plpgsql as $$
        begin
          raise exception 'refused by the log test: "%"', new.family_name
            using detail = 'given name ' || new.given_name || ', born ' || new.date_of_birth;
        end $$`),
    );
    await t.db.execute(
      sql.raw(
        'create trigger refuse_people before insert on people for each row execute function refuse_people()',
      ),
    );
  });
  afterAll(() => t.close());

  it('logs a database error by its query shape and request id, never its values', async () => {
    const checker = await t.login('idchecker');
    const requestId = `log-test-${driver}-${Date.now()}`;
    const res = await t.app.request('/api/people', {
      method: 'POST',
      headers: { ...checker.headers, 'x-request-id': requestId },
      body: JSON.stringify(person),
    });
    expect(res.status).toBe(500);
    expect((await res.json()).error.requestId).toBe(requestId);

    const lines = readFileSync(t.logFile, 'utf8').split('\n').filter(Boolean);
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.requestId === requestId && l.msg === 'unhandled error');
    expect(logged).toBeDefined();
    const err = logged?.err as { message: string; query?: string; cause?: { code?: string } };
    // The shape of the query, with placeholders, and the database's own code…
    expect(err.message).toMatch(/^Failed query: insert into "people"/);
    expect(err.query ?? err.message).toMatch(/values \(/);
    expect(err.message).toMatch(/\$1/);
    expect(err.cause?.code).toBe('P0001');
    // …and none of the values, anywhere in the log.
    const whole = lines.join('\n');
    for (const value of [
      person.givenName,
      person.familyName,
      person.dateOfBirth,
      person.email,
      'params:',
    ]) {
      expect(whole).not.toContain(value);
    }
  });
});

describe.each(testDrivers)('refusals in the log (%s)', (driver) => {
  let t: TestApp;
  const rosalind = {
    givenName: 'Rosalind',
    familyName: 'Featherstonehaugh',
    dateOfBirth: '1981-09-23',
    email: 'rosalind.featherstonehaugh@demo.nhs.example',
    odsCodes: ['RWG01'],
  };
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  const linesOf = (requestId: string) =>
    readFileSync(t.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"requestId":"${requestId}"`));

  it('logs a refusal that names a person by its code and fields, not its message', async () => {
    const checker = await t.login('idchecker');
    const register = (requestId: string) =>
      t.app.request('/api/people', {
        method: 'POST',
        headers: { ...checker.headers, 'x-request-id': requestId },
        body: JSON.stringify(rosalind),
      });
    expect((await register(`first-${driver}`)).status).toBe(201);
    const second = await register(`dup-${driver}`);
    expect(second.status).toBe(409);
    // The caller is told whom the record may duplicate...
    expect((await second.json()).error.message).toContain('Rosalind Featherstonehaugh');
    // ...the log only that a possible duplicate was refused.
    const lines = linesOf(`dup-${driver}`);
    expect(lines.some((l) => l.includes('"code":"POSSIBLE_DUPLICATE"'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain('Featherstonehaugh');
      expect(line).not.toContain('Rosalind');
    }
  });

  it('logs a body that is not JSON without quoting it', async () => {
    const checker = await t.login('idchecker');
    const res = await t.app.request('/api/people', {
      method: 'POST',
      headers: { ...checker.headers, 'x-request-id': `bad-json-${driver}` },
      body: '{"givenName": "Rosalind", "familyName": Featherstonehaugh}',
    });
    expect(res.status).toBe(400);
    const lines = linesOf(`bad-json-${driver}`);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain('Featherstonehaugh');
  });
});
