import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRoles } from '../../db/schema/access.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { readTogether } from '../../server/services/read-together.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * server/services/read-together.ts: several reads in one statement give each read's own
 * rows, field by field, as the reads run alone give them.
 */
describe.each(testDrivers)('reading several queries in one statement (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  const queries = () => ({
    sites: t.db
      .select({
        odsCode: sql<string>`${organisations.odsCode}`.as('odsCode'),
        name: organisations.name,
      })
      .from(organisations)
      .where(eq(organisations.parentOdsCode, 'RWG'))
      .orderBy(asc(organisations.odsCode)),
    counted: t.db
      .select({ n: sql<number>`count(*)::int`.as('n'), active: sql<boolean>`true`.as('active') })
      .from(jobRoles),
    nothing: null,
  });

  it('gives each query its own rows, in its order, with numbers, text and booleans as they are', async () => {
    const q = queries();
    const together = await readTogether(t.ctx, q);
    const sites = await q.sites;
    const counted = await q.counted;
    expect(sites.length).toBeGreaterThan(1);
    expect(together.sites).toEqual(sites);
    expect(together.counted).toEqual(counted);
    expect(together.counted[0]?.n).toBeGreaterThan(0);
    expect(together.nothing).toEqual([]);
  });

  it('gives [] for a query with no rows, and asks nothing when every part is null', async () => {
    const none = t.db
      .select({ name: organisations.name })
      .from(organisations)
      .where(eq(organisations.odsCode, 'NO-SUCH-CODE'));
    expect(await readTogether(t.ctx, { none, skipped: null })).toEqual({ none: [], skipped: [] });
    expect(await readTogether(t.ctx, { skipped: null })).toEqual({ skipped: [] });
  });

  it('refuses a field that would come back under another name, saying which and how to name it', async () => {
    const misnamed = t.db.select({ code: organisations.odsCode }).from(organisations);
    await expect(readTogether(t.ctx, { misnamed })).rejects.toThrow(
      "misnamed.code would come back as ods_code; select it as .as('code')",
    );
    const unnamed = t.db.select({ n: sql<number>`count(*)::int` }).from(organisations);
    // drizzle's own check, which the selection meets first, says the same.
    await expect(readTogether(t.ctx, { unnamed })).rejects.toThrow(
      /"n" field .* doesn't have an alias declared/,
    );
  });
});
