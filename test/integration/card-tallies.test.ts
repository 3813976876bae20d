import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations } from '../../db/schema/organisations.ts';
import { checkCardTallies, foldCardTallies } from '../../server/services/dashboard/card-tallies.ts';
import { addDays, startOfDay, todayOf } from '../../server/services/dates.ts';
import { testDrivers } from '../support/databases.ts';
import { activated } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

interface Dashboard {
  cardsByState: { state: string; count: number }[];
  expiry: { buckets: { bucket: string; count: number }[] };
  openFlags: { kind: string; count: number }[];
}

/**
 * The dashboard's running counts (card_state_tallies, card_expiry_tallies, card_flag_tallies,
 * kept by triggers: db/migrations/0016), held to a count made afresh from the cards, flags
 * and links (`checkCardTallies`, which returns how many counts were wrong) after every kind
 * of change: cards issued, moved between states and holders, expiry changed, deleted; flags
 * raised and resolved; holders' organisations added, removed and changed, one at a time and
 * in bulk; 20 writers at once on PostgreSQL. And the dashboard of a trust counts a holder in
 * two of its organisations once.
 */
describe.each(testDrivers)('the dashboard’s running counts (%s)', (driver) => {
  let t: TestApp;
  let ttaManager: SignedIn;
  let ttbManager: SignedIn;
  const serial = () => randomBytes(12).toString('hex');

  const exec = async (query: ReturnType<typeof sql>) => rowsOf<never>(await t.db.execute(query));

  /** A person, registered with the least a row needs (no service: this is about counts). */
  const person = async () => {
    const id = randomUUID();
    const n = randomBytes(4).readUInt32BE(0);
    await exec(sql`
      insert into people (id, user_id, given_name, family_name, date_of_birth, given_key, family_key,
        family_given_key, given_family_key, status, created_at, updated_at)
      values (${id}, ${String(800_000_000_000 + n)}, 'Tally', ${`Holder ${n}`}, '1980-01-01', 'tally',
        ${`holder ${n}`}, ${`holder ${n} tally`}, ${`tally holder ${n}`}, 'active', now(), now())`);
    return id;
  };
  const link = (personId: string, ods: string) =>
    exec(sql`insert into person_organisations (person_id, ods_code) values (${personId}, ${ods})`);
  const card = async (personId: string | null, state: string, expiresInDays: number | null) => {
    const s = serial();
    const expires =
      expiresInDays === null
        ? null
        : new Date(t.clock.now().getTime() + expiresInDays * 86_400_000);
    await exec(sql`
      insert into cards (serial, person_id, state, expires_at, created_at, updated_at)
      values (${s}, ${personId}, ${state}, ${expires?.toISOString() ?? null}, now(), now())`);
    return s;
  };
  const flag = async (cardSerial: string, personId: string | null, kind: string) => {
    const [row] = rowsOf<{ id: string }>(
      await t.db.execute(sql`
        insert into card_flags (card_serial, kind, person_id, details, raised_at, last_seen_at)
        values (${cardSerial}, ${kind}, ${personId}, '{}'::jsonb, now(), now()) returning id`),
    );
    return row?.id ?? '';
  };
  /** People whose org_codes (people search's copy of their links) differ from their links. */
  const staleOrgCodes = async () =>
    Number(
      rowsOf<{ n: number }>(
        await t.db.execute(sql`select count(*)::int as n from people p
          where p.org_codes is distinct from card_tallies_holder_ods(p.id)`),
      )[0]?.n,
    );
  /** How many counts the tallies had wrong (and puts them right). */
  const wrong = async () => (await checkCardTallies(t.ctx)).wrong;

  const dashboard = async (who: SignedIn) => {
    const res = await t.app.request('/api/dashboard', { headers: who.headers });
    expect(res.status).toBe(200);
    return (await res.json()) as Dashboard;
  };
  const countOf = (d: Dashboard, state: string) =>
    d.cardsByState.find((s) => s.state === state)?.count ?? -1;

  beforeAll(async () => {
    t = await createTestApp(driver);
    await t.db.insert(organisations).values([
      { odsCode: 'TTA', name: 'Tally Trust A' },
      { odsCode: 'TTA01', name: 'Tally Trust A, site 1', parentOdsCode: 'TTA' },
      { odsCode: 'TTB', name: 'Tally Trust B' },
    ]);
    ttaManager = await activated(t, 'tta.manager', 'ra_manager', 'TTA');
    ttbManager = await activated(t, 'ttb.manager', 'ra_manager', 'TTB');
  }, 120_000);
  afterAll(() => t?.close());

  it('starts right, and stays right through every kind of card, flag and link change', async () => {
    expect(await wrong()).toBe(0);
    const [a, b, c] = [await person(), await person(), await person()];
    await link(a, 'TTA01');
    await link(b, 'TTA');
    await link(b, 'TTB');
    const ca = await card(a, 'active', 10);
    const cb = await card(b, 'blocked', 40);
    await card(c, 'active', null);
    const kept = await card(null, 'in_stock', null);
    expect(await wrong()).toBe(0);

    // Stock moves: kept at a location, issued to a holder, handed back.
    const [safe] = rowsOf<{ id: string }>(
      await t.db.execute(sql`
        insert into card_locations (ods_code, name, created_at) values ('TTA', 'Tally safe', now())
        returning id`),
    );
    await exec(sql`update cards set location_id = ${safe?.id ?? null} where serial = ${kept}`);
    await exec(
      sql`update cards set person_id = ${c}, state = 'issued_locked' where serial = ${kept}`,
    );
    await exec(sql`update cards set person_id = null, state = 'returned' where serial = ${kept}`);
    expect(await wrong()).toBe(0);

    await exec(sql`update cards set state = 'suspended' where serial = ${ca}`);
    await exec(
      sql`update cards set expires_at = expires_at + interval '100 days' where serial = ${cb}`,
    );
    await exec(sql`update cards set updated_at = now() where serial = ${cb}`);
    expect(await wrong()).toBe(0);

    await exec(sql`update cards set person_id = ${b} where serial = ${ca}`);
    await exec(sql`update cards set person_id = null, state = 'returned' where serial = ${cb}`);
    expect(await wrong()).toBe(0);

    await link(a, 'TTB');
    await exec(sql`delete from person_organisations where person_id = ${b} and ods_code = 'TTA'`);
    await exec(
      sql`update person_organisations set ods_code = 'TTA' where person_id = ${a} and ods_code = 'TTA01'`,
    );
    expect(await wrong()).toBe(0);

    const f1 = await flag(ca, b, 'pin_blocked');
    await flag(ca, b, 'return_due');
    await flag(serial(), null, 'unknown_card');
    expect(await wrong()).toBe(0);
    await exec(sql`update card_flags set resolved_at = now() where id = ${f1}`);
    await exec(
      sql`update card_flags set person_id = ${a} where card_serial = ${ca} and resolved_at is null`,
    );
    expect(await wrong()).toBe(0);

    await exec(sql`delete from card_flags where card_serial = ${ca}`);
    await exec(sql`delete from cards where serial = ${ca}`);
    expect(await wrong()).toBe(0);
    // A held card or flag always carries its holder's set, one with no holder none: the
    // dashboard counts today's held cards by `holder_ods is not null`.
    const [mismatched] = rowsOf<{ n: number }>(
      await t.db.execute(sql`select
        (select count(*) from cards where (person_id is null) <> (holder_ods is null))
        + (select count(*) from card_flags where (person_id is null) <> (holder_ods is null)) as n`),
    );
    expect(Number(mismatched?.n)).toBe(0);
    expect(await staleOrgCodes()).toBe(0);
  });

  it('moves every card of the holders a bulk change of links touches, in one statement', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = await person();
      ids.push(id);
      if (i % 2) await card(id, i % 4 === 1 ? 'active' : 'issued_locked', i);
    }
    await exec(sql`
      insert into person_organisations (person_id, ods_code)
      select id, 'TTA01' from unnest(${sql.raw(`array[${ids.map((id) => `'${id}'`).join(',')}]`)}::uuid[]) id`);
    expect(await wrong()).toBe(0);
    await exec(sql`
      update person_organisations set ods_code = 'TTB'
       where person_id = any(${sql.raw(
         `array[${ids
           .slice(0, 10)
           .map((id) => `'${id}'`)
           .join(',')}]`,
       )}::uuid[])`);
    await exec(sql`
      delete from person_organisations
       where person_id = any(${sql.raw(
         `array[${ids
           .slice(10, 20)
           .map((id) => `'${id}'`)
           .join(',')}]`,
       )}::uuid[])`);
    expect(await wrong()).toBe(0);
    expect(await staleOrgCodes()).toBe(0);
  });

  it('counts a holder in two of a trust’s organisations once, and once in each of two trusts', async () => {
    const before = await dashboard(ttaManager);
    const beforeB = await dashboard(ttbManager);
    const both = await person();
    await link(both, 'TTA');
    await link(both, 'TTA01');
    await link(both, 'TTB');
    await card(both, 'active', 5);
    const after = await dashboard(ttaManager);
    const afterB = await dashboard(ttbManager);
    expect(countOf(after, 'active') - countOf(before, 'active')).toBe(1);
    expect(countOf(afterB, 'active') - countOf(beforeB, 'active')).toBe(1);
    const within7 = (d: Dashboard) => d.expiry.buckets.find((x) => x.bucket === '7')?.count ?? -1;
    expect(within7(after) - within7(before)).toBe(1);
    // And each count is what SQL counts over the cards of the trust's people.
    const [direct] = rowsOf<{ n: number }>(
      await t.db.execute(sql`
        select count(*)::int as n from cards k
         where k.state = 'active' and exists (select 1 from person_organisations po
           where po.person_id = k.person_id and po.ods_code in ('TTA', 'TTA01'))`),
    );
    expect(countOf(after, 'active')).toBe(direct?.n);
  });

  it('counts today’s cards either side of now, and folding changes no count', async () => {
    const holder = await person();
    await link(holder, 'TTA');
    const now = t.clock.now();
    const today = todayOf(now);
    const earlier = new Date(Math.max(startOfDay(today).getTime() + 1000, now.getTime() - 60_000));
    const later = new Date(
      Math.min(startOfDay(addDays(today, 1)).getTime() - 1000, now.getTime() + 60_000),
    );
    const before = await dashboard(ttaManager);
    for (const at of [earlier, later]) {
      await exec(sql`
        insert into cards (serial, person_id, state, expires_at, created_at, updated_at)
        values (${serial()}, ${holder}, 'active', ${at.toISOString()}, now(), now())`);
    }
    const after = await dashboard(ttaManager);
    const bucket = (d: Dashboard, b: string) => d.expiry.buckets.find((x) => x.bucket === b)?.count;
    expect((bucket(after, 'expired') ?? 0) - (bucket(before, 'expired') ?? 0)).toBe(
      earlier < now ? 1 : 0,
    );
    expect((bucket(after, '7') ?? 0) - (bucket(before, '7') ?? 0)).toBe(later > now ? 1 : 0);

    const rows = async () =>
      rowsOf<{ n: number }>(
        await t.db.execute(sql`select (select count(*) from card_state_tallies)
          + (select count(*) from card_expiry_tallies) + (select count(*) from card_flag_tallies) as n`),
      )[0]?.n;
    // Writes since the last check left +1/-1 rows; a fold sums them away.
    await exec(sql`update cards set state = 'blocked' where person_id = ${holder}`);
    await exec(sql`update cards set state = 'active' where person_id = ${holder}`);
    const unfolded = Number(await rows());
    const { folded } = await foldCardTallies(t.ctx);
    expect(folded).toBeGreaterThan(0);
    expect(Number(await rows())).toBe(unfolded - folded);
    expect(await dashboard(ttaManager)).toEqual(after);
    expect(await wrong()).toBe(0);

    // A fold with nothing to fold writes nothing: every row keeps its version (xmin), so a
    // quiet fold every ten minutes leaves no dead rows behind.
    const versions = async () =>
      rowsOf<{ v: string }>(
        await t.db.execute(sql`select string_agg(v, ',' order by v) as v from (
          select 's' || xmin::text || ctid::text as v from card_state_tallies
          union all select 'e' || xmin::text || ctid::text from card_expiry_tallies
          union all select 'f' || xmin::text || ctid::text from card_flag_tallies
          union all select 'k' || xmin::text || ctid::text from card_stock_tallies) r`),
      )[0]?.v;
    const quiet = await versions();
    expect((await foldCardTallies(t.ctx)).folded).toBe(0);
    expect(await versions()).toBe(quiet);

    // A card that expired ten days ago is one row of its own day; the fold moves it into the
    // set's '-infinity' row, though it has nothing to add up, and the counts stay.
    await exec(sql`
      insert into cards (serial, person_id, state, expires_at, created_at, updated_at)
      values (${serial()}, ${holder}, 'active', ${addDays(today, -10)}::date + time '12:00', now(), now())`);
    const withOld = await dashboard(ttaManager);
    await foldCardTallies(t.ctx);
    const [old] = rowsOf<{ n: number }>(
      await t.db.execute(sql`select count(*)::int as n from card_expiry_tallies
        where expires_on < ${addDays(today, -7)}::date and expires_on <> '-infinity'::date`),
    );
    expect(old?.n).toBe(0);
    expect(await dashboard(ttaManager)).toEqual(withOld);
    expect(await wrong()).toBe(0);
  });

  it('runs the fold and the check as jobs an RA manager can run by hand, saying what they did', async () => {
    const manager = await t.login('manager');
    const holder = await person();
    await link(holder, 'TTA');
    await card(holder, 'active', 12);
    const run = async (job: string) => {
      const res = await t.app.request(`/api/background/jobs/${job}/runs`, {
        method: 'POST',
        headers: manager.headers,
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { outcome: string; counts: Record<string, number> };
    };
    const before = await dashboard(ttaManager);
    const fold = await run('fold-card-counts');
    expect(fold.outcome).toBe('succeeded');
    expect(fold.counts['changes added up']).toBeGreaterThan(0);
    const check = await run('check-card-counts');
    expect(check.outcome).toBe('succeeded');
    expect(check.counts['counts corrected']).toBe(0);
    expect(check.counts['counts checked']).toBeGreaterThan(0);
    expect(await dashboard(ttaManager)).toEqual(before);
  });

  it('finds and puts right a count changed behind the triggers’ back', async () => {
    const holder = await person();
    await link(holder, 'TTB');
    const before = await dashboard(ttbManager);
    await exec(sql`alter table cards disable trigger cards_tallies_added_removed`);
    try {
      await card(holder, 'active', 200);
    } finally {
      await exec(sql`alter table cards enable trigger cards_tallies_added_removed`);
    }
    expect(countOf(await dashboard(ttbManager), 'active')).toBe(countOf(before, 'active'));
    expect(await wrong()).toBeGreaterThan(0);
    expect(countOf(await dashboard(ttbManager), 'active')).toBe(countOf(before, 'active') + 1);
    expect(await wrong()).toBe(0);
  });

  // PGlite has one connection: writers cannot run at once there.
  if (driver === 'postgres')
    it('stays right with 20 writers at once moving one holder’s cards and links', async () => {
      const holder = await person();
      await link(holder, 'TTA');
      const serials = [await card(holder, 'active', 3), await card(holder, 'active', 30)];
      const states = ['blocked', 'suspended', 'active', 'issued_locked'];
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          t.db.transaction(async (tx) => {
            if (i % 2) {
              await tx.execute(
                sql`update cards set state = ${states[i % states.length]}, updated_at = now() where serial = ${serials[i % 2]}`,
              );
            } else if (i % 4 === 0) {
              await tx.execute(sql`
                insert into person_organisations (person_id, ods_code) values (${holder}, 'TTB')
                on conflict do nothing`);
            } else {
              await tx.execute(
                sql`delete from person_organisations where person_id = ${holder} and ods_code = 'TTB'`,
              );
            }
          }),
        ),
      );
      // Every writer went through (they took turns on the holder's row).
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(await wrong()).toBe(0);
    });
});
