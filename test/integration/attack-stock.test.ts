import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

/**
 * Defects an attack on issue 10's stock and card routes found, kept so they stay fixed: a
 * forged cursor in year 0000 (valid to JavaScript, refused by PostgreSQL) was a 500, and two
 * imports at once of one serial in different cases both won.
 */
const passphrase = 'attack stock passphrase 2026, long';

describe.each(testDrivers)('forged cursors in year 0000 (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
  });
  afterAll(() => t.close());

  it('are a 400 naming the cursor, not a 500, on every list that pages by an instant', async () => {
    const forged = (v: unknown[]) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const path of [
      `/api/cards?cursor=${forged(['0000-01-01T00:00:00.000000Z', 'x'])}`,
      `/api/requests?cursor=${forged(['0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])}`,
    ]) {
      const res = await t.app.request(path, { headers: manager.headers });
      expect(res.status, path).toBe(400);
      expect((await res.json()).error.details, path).toEqual([
        { field: 'cursor', message: expect.stringMatching(/nextCursor/) },
      ]);
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('imports at the same moment (postgres)', () => {
  let t: TestApp;
  let manager: SignedIn;
  let safe: string;
  beforeAll(async () => {
    t = await createTestApp('postgres', { env: { CA_KEY_PASSPHRASE: passphrase } });
    manager = await t.login('manager');
    const res = await t.app.request('/api/card-locations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ odsCode: 'RWG01', name: 'Safe' }),
    });
    safe = (await res.json()).id;
  });
  afterAll(() => t.close());

  it('of the same serials, in either case: one import wins whole, the others change nothing', async () => {
    const serials = Array.from({ length: 300 }, (_, i) => `RACE-${i}`);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.request('/api/card-stock/imports', {
          method: 'POST',
          headers: manager.headers,
          body: JSON.stringify({
            locationId: safe,
            format: 'list',
            text: serials.map((s) => (i % 2 ? s.toLowerCase() : s)).join('\n'),
          }),
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 201 && s !== 400 && s !== 409)).toEqual([]);
    const [row] = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(cards)
      .where(sql`lower(${cards.serial}) like 'race-%'`);
    expect(row?.n).toBe(serials.length);
  });
});
