import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(testDrivers)('health and API document (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  it('reports ok with the database driver', async () => {
    const res = await t.app.request('/api/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: { status: 'ok', driver } });
  });

  it('serves a valid OpenAPI 3 document that lists every route with its access', async () => {
    const res = await t.app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    // swagger-parser validates against the official OpenAPI 3.1 schema and resolves refs.
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.openapi).toMatch(/^3\./);
    const operations = Object.entries(doc.paths as Record<string, Record<string, object>>).flatMap(
      ([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'GET /api/health',
        'POST /api/auth/login',
        'POST /api/auth/logout',
        'GET /api/me',
        'GET /api/audit',
        'GET /api/audit/verify',
      ]),
    );
    for (const { op } of operations) expect(op).toHaveProperty('x-access');
  });

  it('serves readable docs without any outside resource', async () => {
    const page = await t.app.request('/api/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/api/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await t.app.request('/api/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    // Left to itself, Swagger UI sends the document to validator.swagger.io for a badge.
    const init = await (await t.app.request('/api/docs/assets/init.js')).text();
    expect(init).toContain('validatorUrl: null');
  });

  it('answers unknown API paths with a JSON 404', async () => {
    for (const path of ['/api/no-such-thing', '/api/docs/assets/no-such-file.js']) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(404);
      const body = await res.json();
      expect(body.error).toMatchObject({ code: 'NOT_FOUND' });
      expect(body.error.requestId).toBeTruthy();
    }
  });

  it('echoes a caller-supplied request id and makes one otherwise', async () => {
    const given = await t.app.request('/api/health', { headers: { 'x-request-id': 'desk-42' } });
    expect(given.headers.get('x-request-id')).toBe('desk-42');
    const made = await t.app.request('/api/health');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
