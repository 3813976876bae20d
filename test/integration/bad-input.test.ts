import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const json = { 'content-type': 'application/json' };

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = await res.json();
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  expect(body.error.requestId).toBeTruthy();
  // Never a stack trace or an internal detail in an answer.
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|node_modules|Error:/);
  return body.error as { message: string; details?: { field: string; message: string }[] };
}

describe.each(testDrivers)('bad input gets a clear 4xx (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  const login = (body: string, headers: Record<string, string> = json) =>
    t.app.request('/api/auth/login', { method: 'POST', headers, body });

  it('malformed JSON', async () => {
    const error = await expectError(await login('{"username": "manager",'), 400, 'VALIDATION');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('wrong types, naming the fields', async () => {
    const error = await expectError(
      await login(JSON.stringify({ username: 42, password: ['x'] })),
      400,
      'VALIDATION',
    );
    expect(error.details?.map((d) => d.field).sort()).toEqual(['password', 'username']);
  });

  it('missing fields', async () => {
    const error = await expectError(await login('{}'), 400, 'VALIDATION');
    expect(error.details?.map((d) => d.field).sort()).toEqual(['password', 'username']);
  });

  it('unknown fields', async () => {
    const error = await expectError(
      await login(JSON.stringify({ username: 'a', password: 'b', isAdmin: true })),
      400,
      'VALIDATION',
    );
    expect(error.details).toEqual([
      { field: 'isAdmin', message: 'is not a field this request accepts' },
    ]);
  });

  it('over-long strings', async () => {
    const error = await expectError(
      await login(JSON.stringify({ username: 'u'.repeat(65), password: 'b' })),
      400,
      'VALIDATION',
    );
    expect(error.details?.[0]).toMatchObject({
      field: 'username',
      message: expect.stringMatching(/64/),
    });
  });

  it('a body that is not JSON at all', async () => {
    await expectError(
      await login('username=manager', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('a body too large to be honest', async () => {
    const huge = JSON.stringify({ username: 'a', password: 'x'.repeat(70_000) });
    await expectError(await login(huge), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a wrong password', async () => {
    await expectError(
      await login(JSON.stringify({ username: 'manager', password: 'nope' })),
      401,
      'INVALID_CREDENTIALS',
    );
  });

  it('a forged session cookie', async () => {
    for (const cookie of ['ra_session=forged', `ra_session=${'A'.repeat(43)}`, 'ra_session=']) {
      await expectError(
        await t.app.request('/api/me', { headers: { cookie } }),
        401,
        'UNAUTHENTICATED',
      );
    }
  });

  it('an expired session cookie', async () => {
    const who = await t.login('agent');
    t.clock.advance(13 * 3_600_000);
    await expectError(
      await t.app.request('/api/me', { headers: who.headers }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('a cross-site POST with a valid cookie', async () => {
    const who = await t.login('agent');
    const crossSite = await t.app.request('/api/auth/logout', {
      method: 'POST',
      headers: {
        cookie: who.cookie,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
    });
    await expectError(crossSite, 403, 'CSRF');
    // A same-site request without the token is refused too.
    const noToken = await t.app.request('/api/auth/logout', {
      method: 'POST',
      headers: { cookie: who.cookie },
    });
    await expectError(noToken, 403, 'CSRF');
    const wrongToken = await t.app.request('/api/auth/logout', {
      method: 'POST',
      headers: { cookie: who.cookie, 'x-csrf-token': 'x'.repeat(43) },
    });
    await expectError(wrongToken, 403, 'CSRF');
    // The session survived all three.
    expect((await t.app.request('/api/me', { headers: who.headers })).status).toBe(200);
  });

  it('a cross-site login attempt', async () => {
    const res = await t.app.request('/api/auth/login', {
      method: 'POST',
      headers: { ...json, origin: 'https://evil.example' },
      body: JSON.stringify({ username: 'manager', password: demoPassword }),
    });
    await expectError(res, 403, 'CSRF');
  });

  it('bad query parameters', async () => {
    const who = await t.login('manager');
    const res = await t.app.request('/api/audit?limit=abc&cursor=drop%20table&colour=red', {
      headers: who.headers,
    });
    const error = await expectError(res, 400, 'VALIDATION');
    expect(error.details?.map((d) => d.field).sort()).toEqual(['colour', 'cursor', 'limit']);
  });
});
