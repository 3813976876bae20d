import { eq, type SQLWrapper, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../db/schema/accounts.ts';
import { rolePermissions } from '../../server/permissions/permissions.ts';
import { actorScope } from '../../server/services/access/actor-scope.ts';
import {
  type CardFilter,
  cardFilterCondition,
  cardPageQueries,
} from '../../server/services/cards/list-cards.ts';
import type { ServiceContext } from '../../server/services/context.ts';
import { dashboardQueries } from '../../server/services/dashboard/dashboard-queries.ts';
import { ofKind, openFlagsBySet } from '../../server/services/flags/open-flags-by-set.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** A node of a plan as EXPLAIN (FORMAT JSON) gives it. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan, flattened: "Seq Scan on cards", "Index Only Scan using cards_state_idx". */
function nodesOf(plan: PlanNode): string[] {
  const here = [
    plan['Node Type'] +
      (plan['Relation Name'] ? ` on ${plan['Relation Name']}` : '') +
      (plan['Index Name'] ? ` using ${plan['Index Name']}` : ''),
  ];
  return [...here, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

const cardsWritten = 20_000;

/**
 * The dashboard's counts and the cards list's first pages, as the planner of a real
 * PostgreSQL runs them over 20,000 cards (ANALYZE'd), for a caller who reads every card
 * (a national RA) and for a trust's RA manager whose organisations hold 1 card in 50, the
 * share of one trust among the 1.2 million cards of DOMAIN.md's nation.
 *
 * What must hold at any size:
 * - No count or page reads a certificate. A card's `expires_at` carries the earliest
 *   notAfter of its certificates in force, so certificates never appear in a plan: joining
 *   them would read two rows per card, 2.4 million for the nation, on every dashboard.
 * - Held cards and their open flags are counted from the running counts the triggers keep
 *   (card_state_tallies, card_expiry_tallies, card_flag_tallies), never card or flag rows:
 *   reading a trust's 31,000 cards through its 40,000 people took a second at national scale.
 * - Today's expiring cards (today is partly past) come from a one-day range of
 *   cards_in_use_expiry_holder_idx alone, the holders' organisations in the index; cards with no holder are counted by state from
 *   card_stock_tallies, and their expiry (rare) from cards_kept_idx.
 * - A page of the list follows an index in the list's order and stops at the page's end,
 *   rather than sorting every card to show fifty.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'the dashboard’s query plans over 20,000 cards on PostgreSQL',
  () => {
    let t: TestApp;
    let national: ServiceContext;
    let trust: ServiceContext;

    beforeAll(async () => {
      t = await createTestApp('postgres');
      const [manager] = await t.db
        .select({ id: accounts.id })
        .from(accounts)
        .where(eq(accounts.username, 'manager'));
      if (!manager) throw new Error('no demo manager');
      const actorOf = (odsCode: string | null): ServiceContext => ({
        ...t.ctx,
        memo: new Map(),
        actor: {
          accountId: manager.id,
          username: 'manager',
          roles: [{ role: 'ra_manager', odsCode }],
          permissions: [...rolePermissions.ra_manager],
        },
      });
      national = actorOf(null);
      trust = actorOf('RWG');
      // 49 other organisations beside the demo's site RWG01, each with a card location;
      // 20,000 people spread over the 50, each holding one card in a state of the lifecycle
      // and an expiry from 100 days ago to 900 days on; and 2,000 cards with no holder.
      await t.db.execute(sql`
        insert into organisations (ods_code, name)
        select 'TZ' || lpad(i::text, 3, '0'), 'Plan test trust ' || i from generate_series(1, 49) i`);
      await t.db.execute(sql`
        insert into card_locations (ods_code, name, created_at)
        select ods_code, 'Safe', now() from organisations
        where ods_code = 'RWG01' or ods_code like 'TZ%'`);
      await t.db.execute(sql`
        insert into people (user_id, given_name, family_name, date_of_birth, given_key, family_key,
          family_given_key, given_family_key, status, created_at, updated_at)
        select lpad((900000000000 + i)::text, 12, '0'), 'Plan', 'Holder ' || i, '1980-01-01', 'plan',
          'holder ' || i, 'holder ' || i || ' plan', 'plan holder ' || i, 'active', now(), now()
        from generate_series(1, ${cardsWritten}) i`);
      await t.db.execute(sql`
        insert into person_organisations (person_id, ods_code)
        select id, case when n % 50 = 0 then 'RWG01' else 'TZ' || lpad((n % 50)::text, 3, '0') end
        from (select id, row_number() over (order by id) as n from people where given_name = 'Plan') p`);
      await t.db.execute(sql`
        insert into cards (serial, person_id, state, expires_at, created_at, updated_at)
        select md5(p.id::text), p.id,
          (array['issued_locked','active','active','active','active','active','active','blocked',
                 'suspended','cancelled'])[1 + abs(hashtext(p.id::text || 's')) % 10],
          date_trunc('second', now()) + ((abs(hashtext(p.id::text || 'e')) % 1000) - 100) * interval '1 day',
          now(), now()
        from people p where p.given_name = 'Plan'`);
      await t.db.execute(sql`
        insert into cards (serial, location_id, state, created_at, updated_at)
        select md5('stock ' || i), l.id, (array['in_stock','in_stock','in_stock','returned','destroyed'])[1 + i % 5],
          now(), now()
        from generate_series(1, ${cardsWritten / 10}) i
        join lateral (select id from card_locations order by id offset (i % 50) limit 1) l on true`);
      // A flag on every card of a holder, two in five of them resolved.
      await t.db.execute(sql`
        insert into card_flags (card_serial, kind, person_id, details, raised_at, last_seen_at,
          resolved_at)
        select c.serial,
          (array['pin_blocked','certificate_expiring','pin_last_try','holder_differs','certificate_expired'])[1 + abs(hashtext(c.serial)) % 5],
          c.person_id, jsonb_build_object('notAfter', to_char(c.expires_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
          now() - (abs(hashtext(c.serial || 'r')) % 1000) * interval '1 hour', now(),
          case when abs(hashtext(c.serial || 'o')) % 5 < 2 then now() end
        from cards c where c.person_id is not null`);
      // Statistics and the visibility map, as autovacuum keeps them on a live database.
      await t.db.execute(sql`vacuum analyze`);
    }, 300_000);
    afterAll(() => t?.close());

    const explain = async (query: SQLWrapper | null) => {
      if (!query) throw new Error('no query: the caller may see no card');
      const result = await t.db.execute(sql`explain (format json) ${query}`);
      const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
        'QUERY PLAN': [{ Plan: PlanNode }] | string;
      }[];
      const raw = rows[0]?.['QUERY PLAN'];
      const [top] = typeof raw === 'string' ? JSON.parse(raw) : raw;
      return nodesOf(top.Plan);
    };

    const callers = () =>
      [
        ['a national RA', national],
        ['a trust’s RA manager', trust],
      ] as const;

    it('wrote the cards it plans over, and the trust holds a fiftieth of them', async () => {
      const [all] = (await t.db.execute(sql`select count(*)::int as n from cards`)) as unknown as {
        n: number;
      }[];
      expect(all?.n).toBeGreaterThanOrEqual(cardsWritten);
      const queries = await dashboardQueries(trust);
      const states = [
        ...((await queries.heldByState) ?? []),
        ...((await queries.keptByState) ?? []),
      ];
      const seen = states.reduce((sum, s) => sum + s.n, 0);
      expect(seen).toBeGreaterThan(cardsWritten / 60);
      expect(seen).toBeLessThan(cardsWritten / 40);
    });

    it('never reads a certificate, for any count or first page, for either caller', async () => {
      for (const [who, ctx] of callers()) {
        const queries = await dashboardQueries(ctx);
        const plans = [];
        for (const query of Object.values(queries)) if (query) plans.push(await explain(query));
        for (const filter of listsBehindCounts) {
          const where = await cardFilterCondition(ctx, filter);
          if (where === false) throw new Error(`${who} sees no card`);
          const page = cardPageQueries(ctx, where, 51);
          plans.push(await explain(page.dated), await explain(page.undated(51)));
        }
        for (const plan of plans) {
          expect(
            plan.filter((n) => n.includes('certificates')),
            who,
          ).toEqual([]);
        }
      }
    });

    it('counts cards by state and held cards’ flags from the running counts, never a card or flag row', async () => {
      for (const [who, ctx] of callers()) {
        const q = await dashboardQueries(ctx);
        for (const query of [q.heldByState, q.heldDays, q.heldFlags, q.keptByState]) {
          const plan = await explain(query);
          expect(
            plan.filter((n) => / on (cards|card_flags|person_organisations)\b/.test(n)),
            `${who}: ${plan.join(' / ')}`,
          ).toEqual([]);
        }
      }
    });

    it('counts today’s expiring cards from a one-day range of an index alone, holders’ organisations in it', async () => {
      for (const [who, ctx] of callers()) {
        const plan = await explain((await dashboardQueries(ctx)).heldToday);
        expect(plan, who).not.toContain('Seq Scan on cards');
        expect(plan, who).not.toContain('Seq Scan on person_organisations');
        expect(plan, `${who}: ${plan.join(' / ')}`).toContain(
          'Index Only Scan on cards using cards_in_use_expiry_holder_idx',
        );
      }
    });

    it('counts the expiry of cards with no holder from their own index, not the held cards', async () => {
      for (const [who, ctx] of callers()) {
        const q = await dashboardQueries(ctx);
        {
          const plan = await explain(q.keptExpiry);
          expect(plan, who).not.toContain('Seq Scan on cards');
          expect(
            plan.some((n) => n.endsWith('using cards_kept_idx')),
            `${who}: ${plan.join(' / ')}`,
          ).toBe(true);
        }
      }
    });

    /** The lists the dashboard's counts open, and the whole list. */
    const listsBehindCounts: CardFilter[] = [
      {},
      { state: ['active'] },
      { state: ['blocked'] },
      { state: ['in_stock'] },
      { expiry: 'expired' },
      { expiry: '7' },
      { expiry: '90' },
    ];

    it('gives a list’s first page by an index in its order, not by sorting every card', async () => {
      for (const [who, ctx] of callers()) {
        for (const filter of listsBehindCounts) {
          const where = await cardFilterCondition(ctx, filter);
          if (where === false) throw new Error(`${who} sees no card`);
          const page = cardPageQueries(ctx, where, 51);
          for (const [half, plan] of [
            ['with an expiry', await explain(page.dated)],
            ['without', await explain(page.undated(51))],
          ] as const) {
            const label = `${who}, ${JSON.stringify(filter)}, cards ${half}: ${plan.join(' / ')}`;
            expect(plan[0], label).toBe('Limit');
            expect(plan, label).not.toContain('Seq Scan on cards');
          }
        }
      }
    });

    it('gives a trust’s page of open flags holder set by holder set, each off its index, not every flag of the trust', async () => {
      const scope = (await actorScope(trust)).of('cards:read');
      if (scope.all) throw new Error('the trust’s manager reads every flag');
      const codes = [...scope.odsCodes].sort();
      // After a cursor in the middle of the most urgent group too.
      const cursor = {
        urgency: 0,
        notAfterKey: '~',
        raisedAt: new Date().toISOString(),
        id: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
      };
      for (const [kind, after] of [
        [undefined, null],
        ['pin_blocked', null],
        [undefined, cursor],
        ['pin_blocked', cursor],
      ] as const) {
        const plan = await explain(
          openFlagsBySet({ codes, unheld: true, filters: ofKind(kind), after, take: 51 }),
        );
        const label = `${kind ?? 'any kind'}${after ? ', after a cursor' : ''}: ${plan.join(' / ')}`;
        expect(plan[0], label).toBe('Limit');
        // The sets are walked by an index-only scan of it; each set's page is an index scan
        // in the list's order, never a bitmap of the set's flags sorted.
        expect(plan, label).toContain(
          'Index Scan on card_flags using card_flags_open_holder_order_idx',
        );
        expect(plan, label).not.toContain(
          'Bitmap Index Scan using card_flags_open_holder_order_idx',
        );
        expect(plan, label).not.toContain('Seq Scan on card_flags');
        expect(
          plan.some((n) => n.includes('card_flags_holder_idx')),
          label,
        ).toBe(false);
      }
    });
  },
);
