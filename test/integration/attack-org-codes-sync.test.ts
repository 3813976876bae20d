import { type SQL, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations } from '../../db/schema/organisations.ts';
import { nameKeys } from '../../server/services/people/name-keys.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * An attack on people_org_codes_sync as 0022 wrote it: it reads which changed people have codes
 * that differ from their links, returns when none do, and locks and writes only those. The
 * claim held to here: skipping a person whose codes match is safe under concurrency, so that
 * people.org_codes is always the sorted array of the person's links (computed here from
 * person_organisations itself), whatever the interleaving of the transactions that change them.
 */
const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

/** The organisations the attack links people to: the demo's trust and sites, and three more. */
const extraSites = ['RWG05', 'RWG06', 'RWG07'];
const sites = ['RWG', 'RWG01', 'RWG02', ...extraSites];

/** A small seeded generator, so that a failing interleaving can be run again. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDrivers)('people.org_codes under people_org_codes_sync (%s)', (driver) => {
  let t: TestApp;
  let serial = 0;
  const exec = async <T = never>(query: SQL) => rowsOf<T>(await t.db.execute(query));

  /** A person as the seed writes one (codes left to the links' trigger), linked to `codes`. */
  const insertPerson = async (family: string, codes: string[]) => {
    const keys = nameKeys('Syncopa', family);
    serial++;
    const [row] = await exec<{ id: string }>(sql`
      insert into people (user_id, given_name, family_name, date_of_birth, given_key, family_key,
        family_given_key, given_family_key, status, created_at, updated_at)
      values (${String(731_000_000_000 + serial * 7919 + Math.floor(Math.random() * 1000))},
        'Syncopa', ${family}, '1981-05-06', ${keys.givenKey}, ${keys.familyKey},
        ${keys.familyGivenKey}, ${keys.givenFamilyKey}, 'active', now(), now())
      returning id`);
    if (!row) throw new Error('no person inserted');
    for (const code of codes) {
      await exec(
        sql`insert into person_organisations (person_id, ods_code) values (${row.id}, ${code})`,
      );
    }
    return row.id;
  };

  /** Each person's org_codes as stored, and their links as person_organisations holds them. */
  const codesAndLinks = async (ids: string[]) => {
    const idList = sql.join(
      ids.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const people = await exec<{ id: string; codes: string; n: number }>(sql`
      select id::text, array_to_string(org_codes, ',') as codes, cardinality(org_codes) as n
        from people where id in (${idList})`);
    const links = await exec<{ person_id: string; ods_code: string }>(sql`
      select person_id::text, ods_code from person_organisations where person_id in (${idList})`);
    return ids.map((id) => {
      const p = people.find((r) => r.id === id);
      const codes = p && p.n > 0 ? p.codes.split(',') : [];
      // The reference: the links, sorted here (ASCII codes: byte order is code-point order).
      const want = links
        .filter((l) => l.person_id === id)
        .map((l) => l.ods_code)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return { id, codes, links: want };
    });
  };

  const expectInStep = async (ids: string[], what: string) => {
    const seen = await codesAndLinks(ids);
    for (const s of seen) expect(s.codes, `${what}: person ${s.id}`).toEqual(s.links);
    return seen;
  };

  beforeAll(async () => {
    t = await createTestApp(driver);
    await t.db.insert(organisations).values(
      extraSites.map((odsCode) => ({
        odsCode,
        name: `Sync site ${odsCode}`,
        parentOdsCode: 'RWG',
      })),
    );
  }, 120_000);
  // The PostgreSQL connections the races run on, each transaction on one of its own.
  let pool: postgres.Sql | undefined;
  const connections: postgres.ReservedSql[] = [];
  afterAll(async () => {
    for (const c of connections) c.release();
    await pool?.end();
    await t?.close();
  });

  it('gives {} (as card_tallies_holder_ods does) when a person’s last link is removed, by delete or by a statement of several', async () => {
    const one = await insertPerson('Lastlinkov', ['RWG01']);
    const two = await insertPerson('Lastlinkova', ['RWG01', 'RWG02', 'RWG05']);
    await expectInStep([one, two], 'before');
    await exec(sql`delete from person_organisations where person_id = ${one}`);
    await exec(sql`delete from person_organisations where person_id = ${two}`);
    const rows = await exec<{ id: string; empty: boolean; n: number; same: boolean }>(sql`
      select id::text, org_codes = '{}'::text[] as empty, cardinality(org_codes) as n,
             org_codes is not distinct from card_tallies_holder_ods(id) as same
        from people where id in (${one}::uuid, ${two}::uuid) order by id`);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r, `person ${r.id}`).toEqual({ id: r.id, empty: true, n: 0, same: true });
    }
    // And back: a link again after none.
    await exec(
      sql`insert into person_organisations (person_id, ods_code) values (${one}, 'RWG02')`,
    );
    const [back] = await codesAndLinks([one]);
    expect(back?.codes).toEqual(['RWG02']);
  });

  it('leaves people inserted with their codes and links in one statement unwritten after it, and corrects one whose codes are wrong', async () => {
    // As applyCreates (server/services/imports/apply-esr-rows.ts): the people with org_codes
    // set and their links, in one statement. One of them is given the wrong codes on purpose:
    // the trigger must rewrite that one (so the ctid probe can see a write) and no other.
    const wanted = [
      ['Batchley Uno', 'RWG01', '{RWG01}'],
      ['Batchley Duo', 'RWG02', '{RWG02}'],
      ['Batchley Tres', 'RWG05', '{RWG05}'],
      ['Batchley Quattro', 'RWG06', '{RWG01}'],
      ['Batchley Cinque', 'RWG07', '{}'],
    ] as const;
    const values = sql.join(
      wanted.map(([family, code, codes], i) => {
        const k = nameKeys('Syncopa', family);
        return sql`(${String(732_000_000_000 + i * 104_729 + Math.floor(Math.random() * 1000))},
          ${family}, ${k.givenKey}, ${k.familyKey}, ${k.familyGivenKey}, ${k.givenFamilyKey},
          ${code}, ${codes}::text[])`;
      }),
      sql`, `,
    );
    if (driver === 'postgres') await exec(sql`create extension if not exists pgrowlocks`);
    const result = await t.db.transaction(async (tx) => {
      // The backend's pending counts may still hold earlier transactions' updates (they are
      // flushed now and then): the statement's own are the difference across it.
      const updated = async () =>
        rowsOf<{ n: number }>(
          await tx.execute(sql`select coalesce(sum(n_tup_upd), 0)::int as n
            from pg_stat_xact_user_tables where relname = 'people'`),
        )[0]?.n ?? Number.NaN;
      const before = await updated();
      const made = rowsOf<{ id: string; family_name: string; ctid: string }>(
        await tx.execute(sql`
          with v(user_id, family, gk, fk, fgk, gfk, code, codes) as (values ${values}),
          made as (
            insert into people (user_id, given_name, family_name, date_of_birth, given_key,
                                family_key, family_given_key, given_family_key, org_codes,
                                created_at, updated_at)
            select user_id, 'Syncopa', family, '1979-02-03', gk, fk, fgk, gfk, codes, now(), now()
              from v
            returning id, family_name, ctid
          ), links as (
            insert into person_organisations (person_id, ods_code)
            select made.id, v.code from made join v on v.family = made.family_name
          )
          select id::text, family_name, ctid::text from made`),
      );
      const after = rowsOf<{ id: string; ctid: string }>(
        await tx.execute(sql`
          select id::text, ctid::text from people
           where id in (${sql.join(
             made.map((m) => sql`${m.id}::uuid`),
             sql`, `,
           )})`),
      );
      // The locks the transaction holds on the new rows (PostgreSQL: pgrowlocks): the
      // links' foreign key takes FOR KEY SHARE; the sync's FOR NO KEY UPDATE must not come.
      const locks =
        driver === 'postgres'
          ? rowsOf<{ ctid: string; modes: string }>(
              await tx.execute(sql`select locked_row::text as ctid, array_to_string(modes, ',') as modes
                from pgrowlocks('people')`),
            )
          : [];
      const updates = (await updated()) - before;
      return { made, after, locks, updates };
    });
    expect(result.made).toHaveLength(wanted.length);
    const rewritten = new Set(['Batchley Quattro', 'Batchley Cinque']);
    for (const m of result.made) {
      const a = result.after.find((r) => r.id === m.id);
      expect(a, m.family_name).toBeDefined();
      if (rewritten.has(m.family_name)) {
        // Wrong codes: the trigger wrote the row again (a new version, locked first).
        expect(a?.ctid, `${m.family_name} written again`).not.toBe(m.ctid);
      } else {
        // Right codes: neither written nor locked by the trigger.
        expect(a?.ctid, `${m.family_name} not written again`).toBe(m.ctid);
        if (driver === 'postgres') {
          const lock = result.locks.find((l) => l.ctid === a?.ctid);
          expect(lock?.modes, `${m.family_name}'s row locks`).toBe('For Key Share');
        }
      }
    }
    // The two rows with wrong codes written, no more.
    expect(result.updates, 'people rows updated by the statement').toBe(rewritten.size);
    await expectInStep(
      result.made.map((m) => m.id),
      'after the one-statement insert',
    );
  });

  // PGlite has one connection: nothing runs at once there.
  if (driver !== 'postgres') return;

  /** A connection of its own, with its backend's pid, for transactions run side by side. */
  const session = async () => {
    if (!t.handle.url) throw new Error('no URL for the test database');
    pool ??= postgres(t.handle.url, { max: 24, onnotice: () => {} });
    const c = await pool.reserve();
    connections.push(c);
    // The race's transactions deadlock one another now and then (statements on several
    // people in random orders): found after 100 ms rather than a second, where the role may.
    await c`set deadlock_timeout = '100ms'`.catch(() => undefined);
    const [row] = await c<{ pid: number }[]>`select pg_backend_pid() as pid`;
    if (!row) throw new Error('no pid');
    return { c, pid: row.pid };
  };
  const waitingOnLock = (pid: number, what: string) =>
    waitFor(
      async () =>
        ((
          await exec<{ w: string | null }>(
            sql`select wait_event_type as w from pg_stat_activity where pid = ${pid}`,
          )
        )[0]?.w ?? null) === 'Lock',
      what,
      { timeoutMs: 10_000, intervalMs: 20 },
    );
  it('keeps every person’s org_codes equal to their links through 20 transactions adding, moving and removing links at once, some rolled back', async () => {
    const started = Date.now();
    const rounds = [11, 23, 37, 41, 53];
    const failures: Record<string, number> = {};
    let committed = 0;
    let rolledBack = 0;
    let savepointsUndone = 0;
    for (const seed of rounds) {
      const rand = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
      const people: string[] = [];
      for (let i = 0; i < 5; i++) {
        const start = sites.filter(() => rand() < 0.4);
        people.push(await insertPerson(`Racewell ${seed} ${i}`, start));
      }
      await expectInStep(people, `round ${seed} before`);
      const sessions = await Promise.all(Array.from({ length: 20 }, () => session()));
      let open: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      // Every transaction's plan drawn before any runs, so that a seed names one plan.
      const plans = sessions.map((_, n) => {
        const steps = 2 + Math.floor(rand() * 4);
        const plan = Array.from({ length: steps }, () => {
          const kind = pick(['add', 'add', 'remove', 'move', 'addMany', 'removeMany'] as const);
          const who = pick(people);
          const some = people.filter(() => rand() < 0.5);
          const pauseMs = Math.floor(rand() * 15);
          return {
            kind,
            who,
            some: some.length ? some : [who],
            a: pick(sites),
            b: pick(sites),
            pauseMs,
          };
        });
        return {
          plan,
          undoAt: rand() < 0.3 ? Math.floor(rand() * steps) : -1,
          commit: rand() < 0.65,
          holds: n % 4 === 0,
        };
      });
      const runOne = async (n: number) => {
        const { c } = sessions[n] as { c: postgres.ReservedSql };
        const { plan, undoAt, commit, holds } = plans[n] as (typeof plans)[number];
        await c`begin`;
        try {
          for (let i = 0; i < plan.length; i++) {
            const s = plan[i] as (typeof plan)[number];
            await c`savepoint step`;
            try {
              switch (s.kind) {
                case 'add':
                  await c`insert into person_organisations (person_id, ods_code)
                    values (${s.who}, ${s.a}) on conflict do nothing`;
                  break;
                case 'remove':
                  await c`delete from person_organisations
                    where person_id = ${s.who} and ods_code = ${s.a}`;
                  break;
                case 'move':
                  await c`update person_organisations set ods_code = ${s.b}
                    where person_id = ${s.who} and ods_code = ${s.a}`;
                  break;
                case 'addMany':
                  await c`insert into person_organisations (person_id, ods_code)
                    select p, ${s.a} from unnest(${s.some}::uuid[]) p order by p desc
                    on conflict do nothing`;
                  break;
                case 'removeMany':
                  await c`delete from person_organisations
                    where person_id = any(${s.some}::uuid[]) and ods_code in (${s.a}, ${s.b})`;
                  break;
              }
              if (i === undoAt) {
                await c`rollback to savepoint step`;
                savepointsUndone++;
              } else {
                await c`release savepoint step`;
              }
            } catch (error) {
              const code = (error as { code?: string }).code ?? 'none';
              // A move onto a link that exists (23505) and a deadlock between two transactions'
              // statements in different orders (40P01) undo the step alone; nothing else may.
              if (code !== '23505' && code !== '40P01') throw error;
              failures[code] = (failures[code] ?? 0) + 1;
              await c`rollback to savepoint step`;
            }
            if (holds && i === 0) await gate;
            else await pause(s.pauseMs);
          }
          if (commit) {
            await c`commit`;
            committed++;
          } else {
            await c`rollback`;
            rolledBack++;
          }
        } catch (error) {
          await c`rollback`;
          throw error;
        }
      };
      const timer = setTimeout(open, 250);
      try {
        await Promise.all(sessions.map((_, n) => runOne(n)));
      } finally {
        clearTimeout(timer);
        open();
        for (const s of sessions) {
          s.c.release();
          connections.splice(connections.indexOf(s.c), 1);
        }
      }
      await expectInStep(people, `round ${seed} after 20 transactions`);
      const [tally] = await exec<{ n: number }>(sql`
        select count(*)::int as n from people
         where id = any(${`{${people.join(',')}}`}::uuid[])
           and org_codes is distinct from card_tallies_holder_ods(id)`);
      expect(tally?.n, `round ${seed}: people whose codes differ from their links`).toBe(0);
    }
    expect(committed, 'transactions committed').toBeGreaterThan(10);
    expect(rolledBack, 'transactions rolled back').toBeGreaterThan(5);
    console.info(
      `org_codes race: ${rounds.length} rounds × 20 transactions, ${committed} committed, ${rolledBack} rolled back, ${savepointsUndone} steps undone by savepoint, step failures ${JSON.stringify(failures)}, ${Date.now() - started} ms`,
    );
  }, 120_000);

  /**
   * One link moved (UPDATE of its ods_code) by one transaction, a third code inserted by
   * another, in both orders, the first committing or rolling back.
   */
  for (const first of ['move', 'insert'] as const) {
    for (const outcome of ['commit', 'rollback'] as const) {
      it(`keeps org_codes right when a link is moved while a third code is inserted for the person (${first} first, then ${outcome})`, async () => {
        const person = await insertPerson(
          `Shiftwell${first === 'move' ? 'a' : 'b'}${outcome === 'commit' ? 'c' : 'd'}`,
          ['RWG01', 'RWG05'],
        );
        await expectInStep([person], 'before');
        const m = await session();
        const i = await session();
        const move = () =>
          m.c`update person_organisations set ods_code = 'RWG02'
                where person_id = ${person} and ods_code = 'RWG01'`;
        const insert = () =>
          i.c`insert into person_organisations (person_id, ods_code) values (${person}, 'RWG06')`;
        await m.c`begin`;
        await i.c`begin`;
        const [one, two] = first === 'move' ? [m, i] : [i, m];
        await (first === 'move' ? move() : insert());
        // The second's statement changes the person's set too: it must wait for the first's
        // lock on the person (the first wrote their codes), not skip.
        // (postgres.js sends a query when it is awaited or executed: this one must go now.)
        const second = (first === 'move' ? insert() : move()).execute();
        await waitingOnLock(two.pid, 'the second statement to wait for the first’s lock');
        await (outcome === 'commit' ? one.c`commit` : one.c`rollback`);
        await second;
        await two.c`commit`;
        const [seen] = await expectInStep([person], `${first} first, ${outcome}`);
        const expected =
          outcome === 'commit'
            ? ['RWG02', 'RWG05', 'RWG06']
            : first === 'move'
              ? ['RWG01', 'RWG05', 'RWG06']
              : ['RWG02', 'RWG05'];
        expect(seen?.links).toEqual(expected);
      });
    }
  }

  it('keeps org_codes right when a link is moved back and forth (net nothing) in one transaction while another adds a code', async () => {
    // The mover's second statement finds the codes it wrote equal to... nothing: it changes
    // them back. The adder's statement comes between, while the mover holds the person.
    const person = await insertPerson('Shiftwell Returna', ['RWG01']);
    const m = await session();
    const a = await session();
    await m.c`begin`;
    await m.c`update person_organisations set ods_code = 'RWG02' where person_id = ${person} and ods_code = 'RWG01'`;
    await a.c`begin`;
    const adding =
      a.c`insert into person_organisations (person_id, ods_code) values (${person}, 'RWG05')`.execute();
    await waitingOnLock(a.pid, 'the adder to wait for the mover');
    await m.c`update person_organisations set ods_code = 'RWG01' where person_id = ${person} and ods_code = 'RWG02'`;
    await m.c`commit`;
    await adding;
    await a.c`commit`;
    const [seen] = await expectInStep([person], 'after moving back');
    expect(seen?.links).toEqual(['RWG01', 'RWG05']);
  });

  for (const outcome of ['commit', 'rollback'] as const) {
    it(`keeps org_codes right when a link is deleted while another transaction inserts the same (person, code) (delete ${outcome}s)`, async () => {
      const person = await insertPerson(`Pairwell${outcome === 'commit' ? 'c' : 'd'}`, [
        'RWG01',
        'RWG02',
      ]);
      const d = await session();
      const i = await session();
      await d.c`begin`;
      await d.c`delete from person_organisations where person_id = ${person} and ods_code = 'RWG01'`;
      await i.c`begin`;
      // Waits on the unique key (the deleter's row), then inserts or finds it there.
      const inserting = i.c`insert into person_organisations (person_id, ods_code)
        values (${person}, 'RWG01') on conflict do nothing`.execute();
      await waitingOnLock(i.pid, 'the insert to wait on the deleted key');
      await (outcome === 'commit' ? d.c`commit` : d.c`rollback`);
      await inserting;
      await i.c`commit`;
      const [seen] = await expectInStep([person], `delete ${outcome}, insert`);
      expect(seen?.links).toEqual(['RWG01', 'RWG02']);
    });
  }

  it('keeps org_codes right when the inserter of a (person, code) comes first and the deleter of it waits', async () => {
    // The other way round: a new link inserted (not committed), and a delete of every link of
    // the person that cannot see it yet, then an insert of the same pair that waits on it.
    const person = await insertPerson('Pairwellx', ['RWG02']);
    const i = await session();
    const d = await session();
    const j = await session();
    await i.c`begin`;
    await i.c`insert into person_organisations (person_id, ods_code) values (${person}, 'RWG05')`;
    await d.c`begin`;
    const deleting = d.c`delete from person_organisations where person_id = ${person}`.execute();
    // The delete removes RWG02 (which it sees) and must wait for the inserter's lock on the
    // person before writing their codes.
    await waitingOnLock(d.pid, 'the delete to wait for the inserter');
    await j.c`begin`;
    const again = j.c`insert into person_organisations (person_id, ods_code)
      values (${person}, 'RWG05') on conflict do nothing`.execute();
    await waitingOnLock(j.pid, 'the second insert to wait on the first’s key');
    await i.c`commit`;
    await deleting;
    await d.c`commit`;
    await again;
    await j.c`commit`;
    const [seen] = await expectInStep([person], 'insert, delete, insert again');
    expect(seen?.links).toEqual(['RWG05']);
  });
});
