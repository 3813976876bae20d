import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleName } from '../../db/schema/accounts.ts';
import { createAccount } from '../../server/services/accounts/create-account.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

/**
 * A trust's open flags, read holder set by holder set and merged (services/flags/
 * open-flags-by-set.ts), page after page give exactly the flags a plain query in the list's
 * order gives for the caller: none lost, none twice, none out of order. The trust RZQ (sites
 * RZQ01, RZQ02) has people in one organisation each, in two of its own, in one of its own and
 * one of another trust's (RZX), cards with no known holder seen at its workstations and at
 * RZX's, and resolved flags; RZX has flags of its own.
 */
describe.each(testDrivers)('open flags paged across holder sets (%s)', (driver) => {
  let t: TestApp;
  const callers: { who: string; signedIn: SignedIn; codes: string[]; unheld: boolean }[] = [];

  async function accountWith(username: string, displayName: string, role: RoleName, ods: string) {
    const { activation } = await createAccount(t.ctx, {
      username,
      displayName,
      roles: [{ role, odsCode: ods }],
    });
    const password = 'correct horse battery';
    const res = await t.app.request('/api/auth/activate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, code: activation.code, password }),
    });
    expect(res.status, await res.clone().text()).toBe(204);
    return t.login(username, password);
  }

  const rows = async <T>(query: ReturnType<typeof sql>) => {
    const result = await t.db.execute(query);
    return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
  };

  beforeAll(async () => {
    t = await createTestApp(driver);
    await t.db.execute(sql`
      insert into organisations (ods_code, name, parent_ods_code) values
        ('RZQ', 'Quarrendon Trust', null), ('RZX', 'Xandell Trust', null)`);
    await t.db.execute(sql`
      insert into organisations (ods_code, name, parent_ods_code) values
        ('RZQ01', 'Quarrendon North', 'RZQ'), ('RZQ02', 'Quarrendon South', 'RZQ'),
        ('RZX01', 'Xandell East', 'RZX')`);
    // The sets of organisations people belong to: each set several people.
    const sets = [
      ['RZQ'],
      ['RZQ01'],
      ['RZQ02'],
      ['RZQ', 'RZQ01'],
      ['RZQ01', 'RZX'],
      ['RZQ02', 'RZX01'],
      ['RZX'],
      ['RZX01'],
      [],
    ];
    const people: string[] = [];
    for (const [s, codes] of sets.entries()) {
      for (let i = 0; i < 3; i++) {
        const family = `Vantrell${String.fromCharCode(97 + s)}${String.fromCharCode(97 + i)}`;
        const [person] = await rows<{ id: string }>(sql`
          insert into people (user_id, given_name, family_name, date_of_birth, given_key,
            family_key, family_given_key, given_family_key, status, created_at, updated_at)
          values (${String(930000000000 + s * 10 + i)}, 'Orlaith', ${family}, '1984-05-06',
            'orlaith', ${family.toLowerCase()}, ${`${family.toLowerCase()} orlaith`},
            ${`orlaith ${family.toLowerCase()}`}, 'active', now(), now())
          returning id`);
        if (!person) throw new Error('no person');
        for (const code of codes) {
          await t.db.execute(
            sql`insert into person_organisations (person_id, ods_code) values (${person.id}, ${code})`,
          );
        }
        people.push(person.id);
      }
    }
    const workstations: string[] = [];
    for (const ods of ['RZQ01', 'RZQ02', 'RZX']) {
      const [w] = await rows<{ id: string }>(sql`
        insert into workstations (ods_code, name, status, created_at)
        values (${ods}, ${`Desk at ${ods}`}, 'enrolled', now()) returning id`);
      if (!w) throw new Error('no workstation');
      workstations.push(w.id);
    }
    // 160 flags: kinds of every urgency, expiries that tie and differ, raising times that tie
    // (then the id decides), a tenth resolved, a tenth with no known holder.
    const kinds = [
      'pin_blocked',
      'certificate_expired',
      'certificate_expiring',
      'certificate_expiring',
      'holder_differs',
      'pin_last_try',
      'stock_card_in_use',
    ];
    const base = new Date('2026-11-01T08:00:00.000Z').getTime();
    for (let i = 0; i < 160; i++) {
      const kind = kinds[(i * 7 + (i >> 3)) % kinds.length] as string;
      const expiry =
        kind.startsWith('certificate_') || i % 5 === 0
          ? { notAfter: new Date(base + ((i * 37) % 9) * 86_400_000).toISOString() }
          : {};
      const unheld = i % 10 === 3;
      await t.db.execute(sql`
        insert into card_flags (card_serial, kind, person_id, details, raised_at, last_seen_at,
          resolved_at, workstation_id)
        values (${`ZQ${randomUUID()}`}, ${unheld ? 'unknown_card' : kind},
          ${unheld ? null : people[(i * 11) % people.length]}, ${JSON.stringify(expiry)}::jsonb,
          ${new Date(base + ((i * 13) % 17) * 3_600_000).toISOString()}::timestamptz, now(),
          ${i % 10 === 7 ? new Date(base).toISOString() : null}::timestamptz,
          ${workstations[i % workstations.length]})`);
    }
    callers.push(
      {
        who: 'the trust’s RA manager',
        signedIn: await accountWith('rzq.manager', 'Ysolde Parnaby', 'ra_manager', 'RZQ'),
        codes: ['RZQ', 'RZQ01', 'RZQ02'],
        unheld: true,
      },
      {
        who: 'a sponsor of one site',
        signedIn: await accountWith('rzq.sponsor', 'Teodor Quillane', 'sponsor', 'RZQ01'),
        codes: ['RZQ01'],
        unheld: false,
      },
      {
        who: 'an LSA of the trust',
        signedIn: await accountWith('rzq.lsa', 'Maelle Dunstavin', 'lsa', 'RZQ'),
        codes: ['RZQ', 'RZQ01', 'RZQ02'],
        unheld: false,
      },
    );
  }, 120_000);
  afterAll(() => t.close());

  /**
   * What the caller should see, straight from the rows: open flags of people in one of their
   * organisations (by person_organisations, not the flag's holder_ods), and for RA staff open
   * flags with no holder seen at their organisations' workstations; in the list's order.
   */
  async function expected(codes: string[], unheld: boolean, kind?: string) {
    const codeList = sql.join(
      codes.map((c) => sql`${c}`),
      sql`, `,
    );
    const found = await rows<{ id: string }>(sql`
      select f.id from card_flags f left join workstations w on w.id = f.workstation_id
      where f.resolved_at is null ${kind ? sql`and f.kind = ${kind}` : sql``}
        and (exists (select 1 from person_organisations o
                      where o.person_id = f.person_id and o.ods_code in (${codeList}))
             or (${unheld} and f.person_id is null and w.ods_code in (${codeList})))
      order by
        -- Urgency: what to act on first.
        case when f.kind = 'pin_blocked' then 0 when f.kind = 'certificate_expired' then 1
          when f.kind in ('foreign_certificate', 'cancelled_card_in_use', 'suspended_card_in_use',
            'certificate_revoked', 'certificate_not_chaining', 'certificates_differ',
            'holder_differs') then 2
          when f.kind in ('return_due', 'unknown_card', 'stock_card_in_use') then 3
          when f.kind = 'pin_last_try' then 4 else 5 end,
        -- The certificate's expiry, soonest first, flags with none after.
        f.details ->> 'notAfter' nulls last,
        f.raised_at desc, f.id desc`);
    return found.map((r) => r.id);
  }

  async function everyPage(who: SignedIn, kind?: string) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 200; pages++) {
      const query = new URLSearchParams({ limit: '4' });
      if (kind) query.set('kind', kind);
      if (cursor) query.set('cursor', cursor);
      const res = await t.app.request(`/api/flags?${query}`, { headers: who.headers });
      expect(res.status, await res.clone().text()).toBe(200);
      const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(4);
      ids.push(...page.items.map((f) => f.id));
      cursor = page.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('more than 200 pages');
  }

  it('gives every page of each caller’s open flags in the list’s order, none lost or twice', async () => {
    for (const { who, signedIn, codes, unheld } of callers) {
      const want = await expected(codes, unheld);
      expect(want.length, who).toBeGreaterThan(12);
      const got = await everyPage(signedIn);
      expect(got, who).toEqual(want);
    }
  });

  it('pages each caller’s open flags of one kind the same way', async () => {
    for (const kind of ['certificate_expiring', 'pin_blocked', 'unknown_card', 'return_due']) {
      for (const { who, signedIn, codes, unheld } of callers) {
        const want = await expected(codes, unheld, kind);
        if (kind === 'certificate_expiring') expect(want.length, who).toBeGreaterThan(4);
        if (kind === 'unknown_card') expect(want.length > 0, who).toBe(unheld);
        expect(await everyPage(signedIn, kind), `${who}, ${kind}`).toEqual(want);
      }
    }
  });
});
