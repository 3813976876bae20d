import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../../server/services/audit/record-audit-event.ts';
import { withTransaction } from '../../server/services/context.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Page {
  items: { id: number; action: string; actor: { username: string }; subjectType: string }[];
  nextCursor: string | null;
}

describe.each(testDrivers)('the audit trail (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
    for (const user of ['agent', 'sponsor', 'staff']) await t.login(user);
  });
  afterAll(() => t.close());

  const get = async (path: string) => {
    const res = await t.app.request(path, { headers: manager.headers });
    expect(res.status, path).toBe(200);
    return res.json();
  };

  it('lists events newest first and filters by action, actor and time', async () => {
    const all = (await get('/api/audit')) as Page;
    const ids = all.items.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const logins = (await get('/api/audit?action=auth.login')) as Page;
    expect(logins.items.length).toBe(4);
    expect(logins.items.every((e) => e.action === 'auth.login')).toBe(true);
    const bySponsor = (await get('/api/audit?actor=sponsor')) as Page;
    expect(bySponsor.items.map((e) => e.actor.username)).toEqual(['sponsor']);
    const future = (await get('/api/audit?from=2099-01-01T00:00:00Z')) as Page;
    expect(future.items).toEqual([]);
    const bySubject = (await get('/api/audit?subjectType=account')) as Page;
    expect(bySubject.items.length).toBeGreaterThan(0);
    expect(bySubject.items.every((e) => e.subjectType === 'account')).toBe(true);
    // The deployment's own events are for a deployment-wide manager (audit-scope.test.ts).
    expect(((await get('/api/audit?subjectType=system')) as Page).items).toEqual([]);
  });

  it('pages with a keyset cursor without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`/api/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`)) as Page;
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = (await get('/api/audit?limit=200')) as Page;
    expect(seen).toEqual(all.items.map((e) => e.id));
  });

  it('keeps the chain whole when many events are written at once', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        withTransaction(t.ctx, (tx) =>
          recordAuditEvent(tx, {
            action: 'test.concurrent',
            subjectType: 'test',
            subjectId: String(i),
          }),
        ),
      ),
    );
    expect(await get('/api/audit/verify')).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the table', async () => {
    await expect(t.db.execute(sql`update audit_events set action = 'x'`)).rejects.toThrow();
    await expect(t.db.execute(sql`delete from audit_events`)).rejects.toThrow();
    await expect(t.db.execute(sql`truncate audit_events`)).rejects.toThrow();
    const verdict = await get('/api/audit/verify');
    expect(verdict.ok).toBe(true);
  });

  it('refuses to record a secret', async () => {
    await expect(
      withTransaction(t.ctx, (tx) =>
        recordAuditEvent(tx, {
          action: 'x',
          subjectType: 'y',
          summary: { card: { pin: '1234' } },
        }),
      ),
    ).rejects.toThrow(/secret/);
  });

  it('reports the first row an owner edited behind the trigger', async () => {
    const before = await get('/api/audit/verify');
    const page = (await get('/api/audit?action=auth.login')) as Page;
    const victim = page.items.at(-1)?.id ?? 0; // the oldest login: events follow it
    await t.db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
    await t.db.execute(
      sql`update audit_events set summary = '{"sessionId":"forged"}' where id = ${victim}`,
    );
    await t.db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
    const after = await get('/api/audit/verify');
    expect(after).toMatchObject({ ok: false, firstBrokenId: victim });
    expect(after.checked).toBeLessThan(before.checked + 2);
  });
});

describe.each(testDrivers)('a deleted audit row (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  it('breaks the link of the row after it', async () => {
    for (const user of ['agent', 'sponsor', 'staff']) await t.login(user);
    const manager = await t.login('manager');
    const page = (await (
      await t.app.request('/api/audit?action=auth.login', { headers: manager.headers })
    ).json()) as Page;
    const ids = page.items.map((e) => e.id).sort((a, b) => a - b);
    const [, removed, next] = ids;
    await t.db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
    await t.db.execute(sql`delete from audit_events where id = ${removed ?? 0}`);
    await t.db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
    const verdict = await (
      await t.app.request('/api/audit/verify', { headers: manager.headers })
    ).json();
    expect(verdict).toMatchObject({ ok: false, firstBrokenId: next });
  });
});
