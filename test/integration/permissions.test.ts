import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleName } from '../../db/schema/accounts.ts';
import { type Access, allows, rolePermissions } from '../../server/permissions/permissions.ts';
import { demoAccounts } from '../../server/services/demo/seed-demo.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Operation {
  method: string;
  path: string;
  access: Access | undefined;
}

const placeholder = '00000000-0000-4000-8000-000000000000';

/**
 * Walks every operation of the OpenAPI document as every role and as nobody, and checks
 * the answer against the permission table: allowed callers get past the access check
 * (anything but 401/403), everyone else is refused.
 */
describe.each(testDrivers)('every route, every role (%s)', (driver) => {
  let t: TestApp;
  let operations: Operation[];
  beforeAll(async () => {
    t = await createTestApp(driver);
    const doc = (await (await t.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, { 'x-access'?: Access }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, access: op['x-access'] })),
    );
  });
  afterAll(() => t.close());

  it('finds a declared access on every route', () => {
    expect(operations.length).toBeGreaterThan(0);
    const undeclared = operations.filter((o) => !o.access);
    expect(undeclared).toEqual([]);
  });

  it('serves nothing outside the OpenAPI document but the public documentation', async () => {
    const doc = (await (await t.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const declared = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
      ),
    );
    // Middleware and the catch-alls (`ALL`) are not routes; every other handler must be
    // in the document, where the walk below checks it, or be one of these public pages.
    const undeclared = t.app.routes
      .filter((r) => r.method !== 'ALL' && !declared.has(`${r.method} ${r.path}`))
      .map((r) => `${r.method} ${r.path}`);
    expect([...new Set(undeclared)].sort()).toEqual([
      'GET /api/docs',
      'GET /api/docs/assets/:file',
      'GET /api/docs/assets/init.js',
      'GET /api/openapi.json',
    ]);
  });

  it('covers every role of the permission table with a demo account', () => {
    const covered = new Set(demoAccounts.map((a) => a.role));
    expect([...covered].sort()).toEqual(Object.keys(rolePermissions).sort());
  });

  async function call(op: Operation, who: SignedIn | null) {
    const path = op.path.replace(/\{[^}]+\}/g, placeholder);
    const unsafe = op.method !== 'get';
    return t.app.request(path, {
      method: op.method.toUpperCase(),
      headers: who ? who.headers : { 'content-type': 'application/json' },
      body: unsafe ? '{}' : undefined,
    });
  }

  it('refuses every non-public route to a caller with no session', async () => {
    for (const op of operations) {
      const res = await call(op, null);
      if (op.access === 'public')
        expect([401, 403], `${op.method} ${op.path}`).not.toContain(res.status);
      else expect(res.status, `${op.method} ${op.path}`).toBe(401);
    }
  });

  for (const account of demoAccounts) {
    it(`lets ${account.role} (${account.username}) in exactly where the table allows`, async () => {
      const granted = [...rolePermissions[account.role as RoleName]];
      // Signing out ends the session, so it goes last.
      const ordered = [...operations].sort(
        (a, b) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout')),
      );
      const who = await t.login(account.username);
      for (const op of ordered) {
        const res = await call(op, who);
        const label = `${account.role} ${op.method.toUpperCase()} ${op.path} → ${res.status}`;
        if (allows(op.access as Access, granted)) {
          expect([401, 403], label).not.toContain(res.status);
        } else {
          expect(res.status, label).toBe(403);
          expect((await res.json()).error.code, label).toBe('FORBIDDEN');
        }
      }
    });
  }
});
