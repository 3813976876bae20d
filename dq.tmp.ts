import { eq, sql, type SQLWrapper } from 'drizzle-orm';
import { openDatabase } from './db/client.ts';
import { accounts } from './db/schema/accounts.ts';
import { actorOf } from './server/services/auth/sessions.ts';
import { dashboardQueries } from './server/services/dashboard/dashboard-queries.ts';
import { deriveAuditKeys } from './server/services/audit/audit-keys.ts';
const h = await openDatabase({ driver: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/scale' });
const base = { db: h.db, actor: null, requestId: null, address: null, now: () => new Date(), auditKeys: deriveAuditKeys(process.env.AUDIT_KEY!) } as any;
for (const name of ['ra-manager.rbq', 'national']) {
  const [a] = await h.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.username, name));
  const ctx = { ...base, memo: new Map(), actor: await actorOf(base, a!.id, name) };
  const q = await dashboardQueries(ctx);
  for (const [k, query] of Object.entries(q)) {
    if (!query) { console.log(name, k, 'null'); continue; }
    for (let i = 0; i < 2; i++) await (query as any);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) { const t0 = performance.now(); await (query as any); times.push(performance.now() - t0); }
    times.sort((x, y) => x - y);
    console.log(name.padEnd(16), k.padEnd(14), times.map((x) => x.toFixed(1)).join(' '));
  }
}
await h.close();
