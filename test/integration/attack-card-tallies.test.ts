import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardLocations } from '../../db/schema/cards.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { checkCardTallies, foldCardTallies } from '../../server/services/dashboard/card-tallies.ts';
import { addDays, daysLeftUntil, startOfDay, todayOf } from '../../server/services/dates.ts';
import { testDrivers } from '../support/databases.ts';
import { demoTrust, secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

const inUse = ['issued_locked', 'active', 'blocked', 'suspended'];
const bucketNames = ['expired', '7', '30', '60', '90'] as const;

interface Dashboard {
  cardsByState: { state: string; count: number }[];
  expiry: { buckets: { bucket: string; count: number }[] };
  openFlags: { kind: string; count: number }[];
}

/** The counts a dashboard gives, without its `asOf` or lists: what an oracle can be held to. */
interface Counts {
  states: Record<string, number>;
  buckets: Record<string, number>;
  flags: Record<string, number>;
}

/**
 * Attacks on the dashboard's running counts (db/migrations/0016: tallies kept by triggers,
 * cards' and flags' holder_ods): concurrent lifecycle moves, closings, link changes, flag
 * raises and resolves, and fold/check jobs run by hand at once; another trust's view; hostile
 * filter values; a clock crossing midnight. After each: the tallies equal a fresh count
 * (`checkCardTallies` → wrong 0) and each trust's dashboard equals a count made here in SQL
 * from cards, person_organisations and flags (never holder_ods or the tallies).
 */
describe.each(testDrivers)('attacks on the dashboard’s running counts (%s)', (driver) => {
  let t: TestApp;
  let rwg: Trust;
  let rxx: Trust;
  let manager: SignedIn;
  let rxxManager: SignedIn;
  let rwgPeople: string[] = [];
  let rxxPeople: string[] = [];
  const serial = () => randomBytes(12).toString('hex');
  const exec = async <T = never>(query: ReturnType<typeof sql>) =>
    rowsOf<T>(await t.db.execute(query));

  const get = async (who: SignedIn, path: string) => t.app.request(path, { headers: who.headers });
  const post = async (who: SignedIn, path: string, body?: unknown) =>
    t.app.request(path, {
      method: 'POST',
      headers: { ...who.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });

  const dashboard = async (who: SignedIn): Promise<Counts> => {
    const res = await get(who, '/api/dashboard');
    expect(res.status, await res.clone().text()).toBe(200);
    const d = (await res.json()) as Dashboard;
    return {
      states: Object.fromEntries(d.cardsByState.map((s) => [s.state, s.count])),
      buckets: Object.fromEntries(d.expiry.buckets.map((b) => [b.bucket, b.count])),
      flags: Object.fromEntries(d.openFlags.map((f) => [f.kind, f.count])),
    };
  };

  /** A trust's organisations: it and everything below it. */
  const trustCodes = async (trust: string) =>
    (
      await exec<{ ods_code: string }>(sql`
        with recursive tree as (
          select ods_code from organisations where ods_code = ${trust}
          union select o.ods_code from organisations o join tree on o.parent_ods_code = tree.ods_code)
        select ods_code from tree`)
    ).map((r) => r.ods_code);

  /**
   * What an RA manager of `trust` should see, counted here: held cards whose holder works in
   * the trust (person_organisations, once per card), cards with no holder kept at the trust's
   * locations or at none; open flags of those holders, or of no holder seen on the trust's
   * workstations. Buckets by daysLeftUntil, as the cards' pages count days.
   */
  const oracle = async (trust: string, sample: Counts): Promise<Counts> => {
    const codes = await trustCodes(trust);
    const list = sql.join(
      codes.map((c) => sql`${c}`),
      sql`, `,
    );
    const cardRows = await exec<{ state: string; expires_at: string | Date | null }>(sql`
      select k.state, k.expires_at from cards k
       where (k.person_id is not null and exists (select 1 from person_organisations po
                where po.person_id = k.person_id and po.ods_code in (${list})))
          or (k.person_id is null and (k.location_id is null or k.location_id in
                (select id from card_locations where ods_code in (${list}))))`);
    const flagRows = await exec<{ kind: string; n: number }>(sql`
      select f.kind, count(*)::int as n from card_flags f
        left join workstations w on w.id = f.workstation_id
       where f.resolved_at is null
         and ((f.person_id is not null and exists (select 1 from person_organisations po
                where po.person_id = f.person_id and po.ods_code in (${list})))
           or (f.person_id is null and w.ods_code in (${list})))
       group by f.kind`);
    const now = t.clock.now();
    const states = Object.fromEntries(Object.keys(sample.states).map((s) => [s, 0]));
    const buckets = Object.fromEntries(Object.keys(sample.buckets).map((b) => [b, 0]));
    const flags = Object.fromEntries(Object.keys(sample.flags).map((k) => [k, 0]));
    for (const r of cardRows) {
      states[r.state] = (states[r.state] ?? 0) + 1;
      if (!inUse.includes(r.state) || r.expires_at === null) continue;
      const days = daysLeftUntil(new Date(r.expires_at), now);
      for (const b of bucketNames) {
        if (b === 'expired' ? days < 0 : days >= 0 && days <= Number(b))
          buckets[b] = (buckets[b] ?? 0) + 1;
      }
    }
    for (const f of flagRows) flags[f.kind] = f.n;
    return { states, buckets, flags };
  };

  /**
   * The cards-by-state report of a trust's manager, counted here: each card under every
   * organisation of the trust its holder works for, a card with no holder under its location's.
   */
  const reportOracle = async (trust: string) => {
    const codes = await trustCodes(trust);
    const list = sql.join(
      codes.map((c) => sql`${c}`),
      sql`, `,
    );
    return (
      await exec<{ odsCode: string; state: string; cardType: string; cards: number }>(sql`
        select ods as "odsCode", state, card_type as "cardType", count(*)::int as cards from (
          select po.ods_code as ods, k.state, k.card_type from cards k
            join person_organisations po on po.person_id = k.person_id
           where po.ods_code in (${list})
          union all
          select l.ods_code, k.state, k.card_type from cards k join card_locations l on l.id = k.location_id
           where k.person_id is null and l.ods_code in (${list})) c
         group by 1, 2, 3 order by 1, 2, 3`)
    ).map((r) => `${r.odsCode}/${r.state}/${r.cardType}=${r.cards}`);
  };
  const report = async (who: SignedIn) => {
    const res = await get(who, '/api/reports/cards-by-state');
    expect(res.status, await res.clone().text()).toBe(200);
    const { rows } = (await res.json()) as {
      rows: { odsCode: string; state: string; cardType: string; cards: number }[];
    };
    return rows.map((r) => `${r.odsCode}/${r.state}/${r.cardType}=${r.cards}`);
  };

  /** Signs the managers in again (a clock moved on ends their sessions). */
  const relogin = async () => {
    manager = await t.login('manager');
    rxxManager = await t.login('rxx.manager', 'correct horse battery');
  };

  /** The tallies equal a fresh count, and both trusts' dashboards and reports equal the oracle. */
  const allRight = async (what: string) => {
    expect((await checkCardTallies(t.ctx)).wrong, `${what}: tallies differed`).toBe(0);
    expect(await report(manager), `${what}: RWG's report`).toEqual(await reportOracle('RWG'));
    expect(await report(rxxManager), `${what}: RXX's report`).toEqual(await reportOracle('RXX'));
    for (const [who, trust] of [
      [manager, 'RWG'],
      [rxxManager, 'RXX'],
    ] as const) {
      const seen = await dashboard(who);
      expect(seen, `${what}: ${trust}'s dashboard`).toEqual(await oracle(trust, seen));
    }
  };

  const card = async (personId: string | null, state: string, expiresAt: Date | null) => {
    const s = serial();
    const now = t.clock.now().toISOString();
    await exec(sql`
      insert into cards (serial, person_id, state, expires_at, created_at, updated_at)
      values (${s}, ${personId}, ${state}, ${expiresAt?.toISOString() ?? null}, ${now}, ${now})`);
    return s;
  };
  const flag = async (cardSerial: string, personId: string | null, kind: string) => {
    const [row] = await exec<{ id: string }>(sql`
      insert into card_flags (card_serial, kind, person_id, details, raised_at, last_seen_at)
      values (${cardSerial}, ${kind}, ${personId}, '{}'::jsonb, now(), now()) returning id`);
    return row?.id ?? '';
  };
  const days = (n: number) => new Date(t.clock.now().getTime() + n * 86_400_000);
  const peopleOf = async (codes: string[]) =>
    (
      await exec<{ id: string }>(sql`
        select distinct p.id from people p join person_organisations po on po.person_id = p.id
         where po.ods_code in (${sql.join(
           codes.map((c) => sql`${c}`),
           sql`, `,
         )}) and p.status = 'active' and p.account_id is null order by p.id`)
    ).map((r) => r.id);

  beforeAll(async () => {
    t = await createTestApp(driver);
    rwg = await demoTrust(t);
    rxx = await secondTrust(t);
    manager = rwg.manager;
    rxxManager = rxx.manager;
    // A site of RWG nobody works for yet: links to it come and go in the attacks below, while
    // each holder keeps the links they had (so every card stays RWG's throughout).
    await t.db
      .insert(organisations)
      .values({ odsCode: 'RWG09', name: 'Attack site', parentOdsCode: 'RWG' });
    await t.db.insert(cardLocations).values([
      { odsCode: 'RWG', name: 'Attack safe', createdAt: t.clock.now() },
      { odsCode: 'RXX', name: 'Attack safe X', createdAt: t.clock.now() },
    ]);
    // Not the person whose words must never leak: the first is linked to RXX01 below.
    rwgPeople = (await peopleOf(await trustCodes('RWG'))).filter((id) => id !== rwg.records.person);
    rxxPeople = await peopleOf(await trustCodes('RXX'));
    if (rwgPeople.length < 3 || !rxxPeople.length) throw new Error('too few people');
  }, 180_000);
  afterAll(() => t?.close());

  it('starts right', async () => {
    await allRight('at the start');
  });

  it('counts a holder in two organisations of one trust once, and once in each of two trusts', async () => {
    const [a] = rwgPeople;
    const before = await dashboard(manager);
    const beforeX = await dashboard(rxxManager);
    await exec(sql`insert into person_organisations (person_id, ods_code)
      values (${a}, 'RWG'), (${a}, 'RWG01'), (${a}, 'RXX01') on conflict do nothing`);
    const s = await card(a ?? null, 'blocked', days(3));
    await flag(s, a ?? null, 'pin_blocked');
    const after = await dashboard(manager);
    const afterX = await dashboard(rxxManager);
    expect((after.states.blocked ?? 0) - (before.states.blocked ?? 0)).toBe(1);
    expect((afterX.states.blocked ?? 0) - (beforeX.states.blocked ?? 0)).toBe(1);
    expect((after.buckets['7'] ?? 0) - (before.buckets['7'] ?? 0)).toBe(1);
    expect((after.flags.pin_blocked ?? 0) - (before.flags.pin_blocked ?? 0)).toBe(1);
    // RXX's manager sees the card and flag of a holder who works for RXX too, and nothing else of RWG's.
    const res = await get(rxxManager, '/api/cards?limit=200');
    expect(res.status).toBe(200);
    const items = (
      (await res.json()) as { items: { serial: string; holder: { id: string } | null }[] }
    ).items;
    expect(items.map((i) => i.serial)).toContain(s);
    const rxxIds = new Set([...rxxPeople, a]);
    for (const i of items) if (i.holder) expect(rxxIds.has(i.holder.id), i.serial).toBe(true);
    // The report counts the card under each organisation of the holder that RWG reaches, once each.
    const rep = await get(manager, '/api/reports/cards-by-state');
    expect(rep.status).toBe(200);
    const rows = (await rep.json()) as { rows?: unknown[] } | unknown[];
    const list = (Array.isArray(rows) ? rows : ((rows as { rows: unknown[] }).rows ?? [])) as {
      odsCode: string;
    }[];
    expect(list.some((r) => r.odsCode.startsWith('RXX'))).toBe(false);
    await allRight('a holder in three organisations');
  });

  it('answers hostile filter values with a 4xx, never a 500 or another trust’s data', async () => {
    const hostile = [
      "RWG'",
      'RWG,RXX',
      '{RXX}',
      '{RWG,RXX}',
      '"RXX"',
      'RXX\u0000',
      '%00',
      'R'.repeat(10_000),
      "') or true --",
      'rxx',
      'RXX01 ',
      '',
    ];
    const secrets = rwg.records.secrets;
    for (const v of hostile) {
      const q = encodeURIComponent(v);
      for (const path of [
        `/api/reports/cards-by-state?organisation=${q}`,
        `/api/reports/cards-by-state?organisation=RXX&organisation=${q}`,
        `/api/cards?holder=${q}`,
        `/api/cards?state=${q}`,
        `/api/cards?location=${q}`,
        `/api/cards?expiry=${q}`,
        `/api/cards?flag=${q}`,
        `/api/cards?cursor=${q}`,
        `/api/flags?kind=${q}`,
        `/api/flags?status=${q}`,
        `/api/flags?cursor=${q}`,
        `/api/dashboard?organisation=${q}`,
      ]) {
        const res = await get(rxxManager, path);
        const body = await res.text();
        expect(res.status, `${path} → ${body.slice(0, 200)}`).toBeLessThan(500);
        if (res.status === 200 && path.startsWith('/api/reports'))
          expect(body, path).not.toContain('RWG');
        for (const secret of secrets) expect(body, path).not.toContain(secret);
      }
    }
    // RWG's organisations asked for by RXX's manager: refused, not counted.
    for (const code of ['RWG', 'RWG01']) {
      const res = await get(rxxManager, `/api/reports/cards-by-state?organisation=${code}`);
      expect(res.status).toBe(403);
    }
    await allRight('after hostile filters');
  });

  it('keeps another trust’s dashboard and flags still while RWG’s cards, flags and links move', async () => {
    const before = await dashboard(rxxManager);
    const flagsBefore = await (await get(rxxManager, '/api/flags?status=all&limit=200')).text();
    const [a, b] = rwgPeople.slice(1);
    const moved: string[] = [];
    for (const p of [a, b]) moved.push(await card(p ?? null, 'active', days(20)));
    for (const s of moved) {
      expect(
        (await post(manager, `/api/cards/${s}/suspend`, { reason: 'reported_missing' })).status,
      ).toBe(200);
      await flag(s, a ?? null, 'suspended_card_in_use');
    }
    await exec(
      sql`insert into person_organisations (person_id, ods_code) values (${b}, 'RWG09') on conflict do nothing`,
    );
    await exec(sql`delete from person_organisations where person_id = ${b} and ods_code = 'RWG09'`);
    await exec(sql`update card_flags set resolved_at = now() where card_serial = ${moved[0]}`);
    expect(await dashboard(rxxManager)).toEqual(before);
    const flagsAfter = await (await get(rxxManager, '/api/flags?status=all&limit=200')).text();
    expect(flagsAfter).toBe(flagsBefore);
    for (const s of moved) {
      expect(flagsAfter).not.toContain(s);
      expect((await get(rxxManager, `/api/cards/${s}`)).status).toBe(404);
      expect((await post(rxxManager, `/api/cards/${s}/reinstate`)).status).toBe(404);
    }
    await allRight('another trust moving');
  });

  // PGlite has one connection: nothing runs at once there.
  if (driver === 'postgres') {
    it.each([
      ['without', false],
      ['with', true],
    ])(
      'stays right with 20 lifecycle moves, closings, link changes and flags at once, %s fold and check jobs, none a 500',
      async (_, withJobs) => {
        for (let round = 0; round < 3; round++) {
          const holders = rwgPeople.slice(0, 4);
          const serials: string[] = [];
          for (const h of holders) {
            serials.push(await card(h, 'active', days(5 + round)));
            serials.push(await card(h, 'suspended', days(40)));
          }
          const closing = await exec<{ id: string }>(sql`
          insert into people (user_id, given_name, family_name, date_of_birth, given_key, family_key,
            family_given_key, given_family_key, status, created_at, updated_at)
          values (${String(700_000_000_000 + Math.floor(Math.random() * 1e9))}, 'Leaving', ${`Attack ${round}`},
            '1980-01-01', 'leaving', ${`attack ${round}`}, ${`attack ${round} leaving`},
            ${`leaving attack ${round}`}, 'active', now(), now()) returning id`);
          const leaver = closing[0]?.id ?? '';
          await exec(
            sql`insert into person_organisations (person_id, ods_code) values (${leaver}, 'RWG01')`,
          );
          const leaverCards = [
            await card(leaver, 'active', days(2)),
            await card(leaver, 'suspended', days(-3)),
            await card(leaver, 'blocked', days(60)),
          ];
          const leaverFlag = await flag(leaverCards[0] ?? '', leaver, 'pin_last_try');
          const calls: Promise<{ what: string; status: number; body: string }>[] = [];
          const api = (what: string, p: Promise<Response>) =>
            calls.push(p.then(async (r) => ({ what, status: r.status, body: await r.text() })));
          const sqlCall = (what: string, f: () => Promise<unknown>) =>
            calls.push(
              f().then(
                () => ({ what, status: 200, body: '' }),
                (e: Error & { cause?: { code?: string; message?: string } }) => ({
                  what,
                  status: 599,
                  body: `${e.cause?.code ?? ''} ${e.cause?.message ?? e.message}`,
                }),
              ),
            );
          for (let i = 0; i < 20; i++) {
            const s = serials[i % serials.length] ?? '';
            const h = holders[i % holders.length] ?? '';
            switch (i % 10) {
              case 0:
                api(
                  'close',
                  post(manager, `/api/people/${leaver}/close`, { reason: 'Left the trust' }),
                );
                break;
              case 1:
                api(
                  `suspend ${s}`,
                  post(manager, `/api/cards/${s}/suspend`, { reason: 'reported_missing' }),
                );
                break;
              case 2:
                api(`reinstate ${s}`, post(manager, `/api/cards/${s}/reinstate`));
                break;
              case 3:
                api(
                  `cancel ${leaverCards[i % 3]}`,
                  post(manager, `/api/cards/${leaverCards[i % 3]}/cancel`, { reason: 'damaged' }),
                );
                break;
              case 4:
                // An ESR change: the person's row, then a new organisation (apply-esr-rows.ts).
                sqlCall(`link ${h}`, () =>
                  t.db.transaction(async (tx) => {
                    await tx.execute(sql`update people set updated_at = now() where id = ${h}`);
                    await tx.execute(sql`insert into person_organisations (person_id, ods_code)
                    values (${h}, 'RWG09') on conflict do nothing`);
                  }),
                );
                break;
              case 5:
                sqlCall(`unlink ${h}`, () =>
                  // As a writer of links would: the person's row first, then the link.
                  t.db.transaction(async (tx) => {
                    await tx.execute(sql`update people set updated_at = now() where id = ${h}`);
                    await tx.execute(
                      sql`delete from person_organisations where person_id = ${h} and ods_code = 'RWG09'`,
                    );
                  }),
                );
                break;
              case 6:
                sqlCall(`flag ${s}`, () =>
                  t.db.execute(sql`insert into card_flags (card_serial, kind, person_id, details, raised_at, last_seen_at)
                  values (${s}, 'pin_blocked', ${h}, '{}'::jsonb, now(), now())`),
                );
                break;
              case 7:
                sqlCall(`resolve ${leaverFlag}`, () =>
                  t.db.execute(sql`update card_flags set resolved_at = now()
                  where (id = ${leaverFlag} or card_serial = ${s}) and resolved_at is null`),
                );
                break;
              case 8:
                if (!withJobs) {
                  api(
                    `suspend ${s}`,
                    post(manager, `/api/cards/${s}/suspend`, { reason: 'reported_missing' }),
                  );
                  break;
                }
                api('fold', post(manager, '/api/background/jobs/fold-card-counts/runs'));
                break;
              case 9:
                if (!withJobs) {
                  api(`reinstate ${s}`, post(manager, `/api/cards/${s}/reinstate`));
                  break;
                }
                api('check', post(manager, '/api/background/jobs/check-card-counts/runs'));
                break;
            }
          }
          const results = await Promise.all(calls);
          const bad = results.filter(
            (r) => r.status >= 500 || (r.status !== 200 && r.status !== 409),
          );
          expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
          await allRight(`round ${round}`);
        }
      },
      120_000,
    );

    it('stays right with the fold and check jobs run 20 times at once while cards move', async () => {
      const holders = rwgPeople.slice(0, 3);
      const serials: string[] = [];
      for (const h of holders) serials.push(await card(h, 'active', days(9)));
      for (let round = 0; round < 3; round++) {
        const calls: Promise<{ what: string; status: number; body: string }>[] = [];
        for (let i = 0; i < 20; i++) {
          const s = serials[i % serials.length] ?? '';
          const what = i % 4 === 0 ? 'check-card-counts' : i % 4 === 1 ? 'fold-card-counts' : null;
          const p = what
            ? post(manager, `/api/background/jobs/${what}/runs`)
            : i % 2
              ? post(manager, `/api/cards/${s}/suspend`, { reason: 'reported_missing' })
              : post(manager, `/api/cards/${s}/reinstate`);
          calls.push(
            p.then(async (r) => ({ what: what ?? s, status: r.status, body: await r.text() })),
          );
        }
        const results = await Promise.all(calls);
        const bad = results.filter((r) => r.status !== 200 && r.status !== 409);
        expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
        // A run that finished "failed" is a failure too.
        const failed = results.filter((r) => /"status":"failed"/.test(r.body));
        expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
        await allRight(`jobs round ${round}`);
      }
    }, 120_000);

    it('lets the daily check and a change of links (an ESR import) run at once without a deadlock', async () => {
      // An import adds a new person's organisation (no cards: only person_organisations is
      // written), the check starts, then the import adds an organisation to a holder of cards.
      const [newcomer] = await exec<{ id: string }>(sql`
        insert into people (user_id, given_name, family_name, date_of_birth, given_key, family_key,
          family_given_key, given_family_key, status, created_at, updated_at)
        values (${String(710_000_000_000 + Math.floor(Math.random() * 1e9))}, 'New', 'Starter',
          '1990-01-01', 'new', 'starter', 'starter new', 'new starter', 'active', now(), now())
        returning id`);
      const [h] = rwgPeople;
      await card(h ?? null, 'active', days(15));
      let started: () => void = () => {};
      const firstDone = new Promise<void>((r) => {
        started = r;
      });
      let check: Promise<{ wrong: number }> | null = null;
      const importing = t.db.transaction(async (tx) => {
        await tx.execute(sql`insert into person_organisations (person_id, ods_code)
          values (${newcomer?.id ?? null}, 'RWG09')`);
        started();
        await new Promise((r) => setTimeout(r, 600));
        await tx.execute(sql`update people set updated_at = now() where id = ${h}`);
        await tx.execute(sql`insert into person_organisations (person_id, ods_code)
          values (${h}, 'RWG09') on conflict do nothing`);
      });
      await firstDone;
      await new Promise((r) => setTimeout(r, 100));
      check = checkCardTallies(t.ctx);
      const [imported, checked] = await Promise.allSettled([importing, check]);
      const why = (o: PromiseSettledResult<unknown>) =>
        o.status === 'rejected'
          ? String((o.reason as { cause?: { message?: string } }).cause?.message ?? o.reason)
          : 'ok';
      try {
        // Today the check takes cards and card_flags, then waits for person_organisations,
        // which the import holds; the import then waits for cards: PostgreSQL aborts one.
        expect({ import: why(imported), check: why(checked) }).toEqual({
          import: 'ok',
          check: 'ok',
        });
        await allRight('a check beside an import');
      } finally {
        await exec(sql`delete from person_organisations where ods_code = 'RWG09'`);
      }
    }, 60_000);

    it('loses no count when a fold commits while a check is replacing the tallies', async () => {
      // Rows for the fold to take: moves since the last check.
      const [h] = rwgPeople;
      const s = await card(h ?? null, 'active', days(12));
      await exec(sql`update cards set state = 'blocked' where serial = ${s}`);
      await exec(sql`update cards set state = 'active' where serial = ${s}`);
      const before = await dashboard(manager);
      // A fold's statement under way (its rows deleted and their sums written, not yet
      // committed: as long as one fold statement takes at scale), and a check starting.
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let folding: () => void = () => {};
      const folded = new Promise<void>((r) => {
        folding = r;
      });
      const fold = t.db.transaction(async (tx) => {
        await tx.execute(sql`
          with gone as (delete from card_state_tallies returning holder_ods, state, card_type, n)
          insert into card_state_tallies (holder_ods, state, card_type, n)
          select holder_ods, state, card_type, sum(n) from gone group by 1, 2, 3 having sum(n) <> 0`);
        folding();
        await held;
      });
      await folded;
      const check = checkCardTallies(t.ctx);
      await new Promise((r) => setTimeout(r, 500));
      release();
      await fold;
      try {
        // Today the check's DELETE skips the rows the fold deleted and never sees the sums
        // the fold wrote (after its snapshot), then inserts its fresh count beside them:
        // every held count of the fold's table doubles until the next check.
        expect((await check).wrong).toBe(0);
        // The fold's sums and the check's fresh count must not both stand.
        expect(await dashboard(manager)).toEqual(before);
        await allRight('a fold beside a check');
      } finally {
        // Put the tallies right for the tests after, whatever happened here.
        await checkCardTallies(t.ctx);
      }
    }, 60_000);
  }

  /** Cards either side of the next UK midnight, and the clock walked across it. */
  const acrossMidnight = async (label: string) => {
    const [h] = rwgPeople;
    const now = t.clock.now();
    const midnight = startOfDay(addDays(todayOf(now), 1)).getTime();
    t.clock.advance(midnight - 120_000 - now.getTime());
    await relogin();
    const at = (ms: number) => new Date(midnight + ms);
    for (const ms of [-90_000, -30_000, 30_000, 90_000, 86_400_000 - 1000, 86_400_000 + 1000])
      await card(h ?? null, 'active', at(ms));
    await allRight(`${label}: at 23:58`);
    t.clock.advance(60_000);
    await allRight(`${label}: at 23:59`);
    t.clock.advance(120_000);
    await allRight(`${label}: at 00:01`);
    await foldCardTallies(t.ctx);
    await allRight(`${label}: at 00:01, folded`);
    // Eight days on: the days before a week ago fold into one row, counted as expired.
    t.clock.advance(8 * 86_400_000);
    await relogin();
    await foldCardTallies(t.ctx);
    await allRight(`${label}: eight days on, folded`);
    expect((await post(manager, '/api/background/jobs/fold-card-counts/runs')).status).toBe(200);
    await allRight(`${label}: eight days on, folded by the job`);
  };

  it('counts "today" right as the clock crosses midnight, in winter and in summer time', async () => {
    try {
      // November: UK midnight is 00:00 UTC.
      await acrossMidnight('winter');
      // June: UK midnight is 23:00 UTC the day before (card_tallies_day and todayOf must agree).
      t.clock.advance(new Date('2027-06-20T12:00:00Z').getTime() - t.clock.now().getTime());
      await acrossMidnight('summer');
      // Across the clocks going back (last Sunday of October 2027: 31 October).
      t.clock.advance(new Date('2027-10-30T12:00:00Z').getTime() - t.clock.now().getTime());
      await acrossMidnight('clocks back');
    } finally {
      await relogin();
    }
  }, 120_000);
});
