import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

function loginRequest(username: string, password: string, address = '10.0.0.1') {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ username, password }),
  };
}

async function auditActions(t: TestApp, query: string) {
  const who = await t.login('manager');
  const res = await t.app.request(`/api/audit?${query}`, { headers: who.headers });
  const body = (await res.json()) as { items: { action: string; summary: object }[] };
  return body.items;
}

describe.each(testDrivers)('signing in and out (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  it('opens a session with a safe cookie and says who the caller is', async () => {
    const res = await t.app.request('/api/auth/login', loginRequest('sponsor', demoPassword));
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ra_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/); // plain http in tests; see the TLS test below
    const me = await t.app.request('/api/me', { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(me.status).toBe(200);
    const body = await me.json();
    expect(body.account.username).toBe('sponsor');
    expect(body.roles).toEqual([
      {
        role: 'sponsor',
        label: 'Sponsor',
        organisation: { odsCode: 'RWG01', name: 'Watford General Hospital' },
      },
    ]);
    expect(body.permissions).toContain('requests:decide');
    expect(body.permissions).not.toContain('positions:manage');
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('matches usernames whatever their case', async () => {
    const res = await t.app.request('/api/auth/login', loginRequest('StAfF', demoPassword));
    expect(res.status).toBe(200);
  });

  it('marks the cookie Secure when served over TLS', async () => {
    const res = await t.app.request(
      'https://ra.example.nhs.uk/api/auth/login',
      loginRequest('staff', demoPassword),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/Secure/);
  });

  it('stores only a hash of the session token', async () => {
    const res = await t.app.request('/api/auth/login', loginRequest('lsa', demoPassword));
    const token = (res.headers.get('set-cookie') ?? '').split(';')[0]?.split('=')[1] ?? '';
    const rows = await t.handle.db.query.sessions.findMany();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.tokenHash).not.toBe(token);
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('gives the same answer for a wrong password and an unknown account', async () => {
    const wrong = await t.app.request(
      '/api/auth/login',
      loginRequest('agent', 'not-it', '10.0.0.2'),
    );
    const unknown = await t.app.request(
      '/api/auth/login',
      loginRequest('nobody-here', 'not-it', '10.0.0.2'),
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = (await wrong.json()).error;
    const b = (await unknown.json()).error;
    expect(a.code).toBe('INVALID_CREDENTIALS');
    expect(b.code).toBe('INVALID_CREDENTIALS');
    expect(a.message).toBe(b.message);
  });

  it('ends the session on logout, and audits login, failed login and logout', async () => {
    const who = await t.login('idchecker');
    const out = await t.app.request('/api/auth/logout', { method: 'POST', headers: who.headers });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/ra_session=;/);
    const after = await t.app.request('/api/me', { headers: { cookie: who.cookie } });
    expect(after.status).toBe(401);
    const actions = (await auditActions(t, 'limit=200')).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['auth.login', 'auth.login_failed', 'auth.logout']),
    );
  });

  it('rotates the session when someone signs in again: the old one ends', async () => {
    const first = await t.login('sponsor');
    const again = await t.app.request('/api/auth/login', {
      method: 'POST',
      headers: first.headers,
      body: JSON.stringify({ username: 'sponsor', password: demoPassword }),
    });
    expect(again.status).toBe(200);
    const cookie = (again.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^ra_session=/);
    expect(cookie).not.toBe(first.cookie);
    const old = await t.app.request('/api/me', { headers: { cookie: first.cookie } });
    expect(old.status).toBe(401);
    const fresh = await t.app.request('/api/me', { headers: { cookie } });
    expect(fresh.status).toBe(200);
    // Signing in as someone else from the same browser ends the first person's session too.
    const other = await t.app.request('/api/auth/login', {
      method: 'POST',
      headers: { ...first.headers, cookie, 'x-csrf-token': (await again.json()).csrfToken },
      body: JSON.stringify({ username: 'staff', password: demoPassword }),
    });
    expect(other.status).toBe(200);
    expect((await t.app.request('/api/me', { headers: { cookie } })).status).toBe(401);
  });

  it('never writes a password into the audit trail', async () => {
    await t.app.request('/api/auth/login', loginRequest('agent', 'Secret-Typo-123', '10.0.0.3'));
    const events = await auditActions(t, 'action=auth.login_failed&limit=200');
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain('Secret-Typo-123');
  });
});

describe.each(testDrivers)('session time-outs (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver, {
      env: { SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '2' },
    });
  });
  afterAll(() => t.close());

  it('ends a session left idle for longer than the idle time-out', async () => {
    const who = await t.login('agent');
    t.clock.advance(29 * 60_000);
    expect((await t.app.request('/api/me', { headers: who.headers })).status).toBe(200);
    t.clock.advance(29 * 60_000); // active a minute ago, so still fine
    expect((await t.app.request('/api/me', { headers: who.headers })).status).toBe(200);
    t.clock.advance(31 * 60_000);
    const res = await t.app.request('/api/me', { headers: who.headers });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('UNAUTHENTICATED');
  });

  it('ends a busy session at its absolute time-out', async () => {
    const who = await t.login('agent');
    for (let minutes = 0; minutes < 120; minutes += 20) {
      expect((await t.app.request('/api/me', { headers: who.headers })).status).toBe(200);
      t.clock.advance(20 * 60_000);
    }
    expect((await t.app.request('/api/me', { headers: who.headers })).status).toBe(401);
  });
});

describe.each(testDrivers)('caching of API answers (%s)', (driver) => {
  let t: TestApp;
  let webRoot: string;
  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'ra-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>RA</title>');
    writeFileSync(join(webRoot, 'assets', 'app.js'), 'export {};');
    t = await createTestApp(driver, { webRoot });
  });
  afterAll(async () => {
    await t.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('tells browsers and proxies to keep no API answer, errors included', async () => {
    const who = await t.login('agent');
    const answers = [
      await t.app.request('/api/me', { headers: who.headers }),
      await t.app.request('/api/people?q=Patel', { headers: who.headers }),
      await t.app.request('/api/people'),
      await t.app.request('/api/no-such-thing'),
      await t.app.request('/api/auth/login', loginRequest('agent', demoPassword, '10.7.0.1')),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 401, 404, 200]);
    for (const res of answers) expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('lets the public API description and the static assets be cached', async () => {
    for (const path of ['/api/openapi.json', '/api/docs', '/assets/app.js']) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).not.toBe('no-store');
    }
  });
});
