import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endExpiredAssignments } from '../../server/services/assignments/end-expired-assignments.ts';
import { checkCardTallies, foldCardTallies } from '../../server/services/dashboard/card-tallies.ts';
import { addDays, todayOf } from '../../server/services/dates.ts';
import { testDrivers } from '../support/databases.ts';
import { post } from '../support/people.ts';
import { activated, secondTrust } from '../support/second-trust.ts';
import {
  insertAssignment,
  insertPosition,
  recountSystemAccess,
  type SystemRow,
} from '../support/system-access-fixtures.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

const dayMs = 86_400_000;

/**
 * The system-access report, counted from the people kept by access signature
 * (system_access_tallies, db/migrations/0023), held after every kind of change to a count
 * made afresh here in JavaScript from every assignment and position: assigning, removing,
 * ending, a position's systems changed, a position closed, an assignment starting in the
 * future and one past its end date, a person in two organisations of a trust (once) and in
 * two trusts (in each), for a trust's RA manager, a sponsor, another trust's manager and the
 * national manager; 20 writers at once on PostgreSQL; and the nightly check puts right a
 * count corrupted on purpose, and counts it.
 */
describe.each(testDrivers)('the system-access report’s kept counts (%s)', (driver) => {
  let t: TestApp;
  let rwgManager: SignedIn;
  let sponsor: SignedIn;
  let national: SignedIn;
  let rxxManager: SignedIn;

  const exec = async <T = never>(query: ReturnType<typeof sql>) =>
    rowsOf<T>(await t.db.execute(query));

  /** A person (no service: this is about counts), in these organisations. */
  const person = async (...odsCodes: string[]) => {
    const id = randomUUID();
    const n = randomBytes(4).readUInt32BE(0);
    const family = `Vorquist ${randomBytes(3).toString('hex')}x`;
    await exec(sql`
      insert into people (id, user_id, given_name, family_name, date_of_birth, given_key, family_key,
        family_given_key, given_family_key, status, created_at, updated_at)
      values (${id}, ${String(810_000_000_000 + n)}, 'Sygnel', ${family}, '1980-01-01', 'sygnel',
        ${family.toLowerCase()}, ${`${family.toLowerCase()} sygnel`}, ${`sygnel ${family.toLowerCase()}`},
        'active', now(), now())`);
    for (const ods of odsCodes) {
      await exec(
        sql`insert into person_organisations (person_id, ods_code) values (${id}, ${ods})`,
      );
    }
    return id;
  };
  const position = (odsCode: string, systems: string[]) =>
    insertPosition(t.db, odsCode, systems, 'Signature post');
  const assign = (
    personId: string,
    positionId: string,
    dates: { start?: string; end?: string | null } = {},
  ) => insertAssignment(t.db, todayOf(t.clock.now()), personId, positionId, dates);

  /** The report worked out afresh from every position and assignment. */
  const recount = (covered: 'all' | string[]): Promise<SystemRow[]> =>
    recountSystemAccess(t.db, todayOf(t.clock.now()), covered);

  const report = async (who: SignedIn, query = '') => {
    const res = await t.app.request(`/api/reports/system-access${query}`, { headers: who.headers });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { systems: SystemRow[] }).systems;
  };

  const callers = () =>
    [
      { name: 'RWG manager', who: rwgManager, query: '', covered: ['RWG', 'RWG01', 'RWG02'] },
      { name: 'RWG01 sponsor', who: sponsor, query: '', covered: ['RWG01'] },
      { name: 'RXX manager', who: rxxManager, query: '', covered: ['RXX', 'RXX01'] },
      { name: 'national', who: national, query: '', covered: 'all' as const },
      { name: 'national, RWG02', who: national, query: '?organisation=RWG02', covered: ['RWG02'] },
    ] as const;

  /** Every caller's report equals the recount, before and after a fold, and the check finds nothing wrong. */
  const allRight = async (step: string) => {
    for (const c of callers()) {
      expect(await report(c.who, c.query), `${step}: ${c.name}`).toEqual(
        await recount(c.covered === 'all' ? 'all' : [...c.covered]),
      );
    }
    await foldCardTallies(t.ctx);
    for (const c of callers()) {
      expect(await report(c.who, c.query), `${step}, folded: ${c.name}`).toEqual(
        await recount(c.covered === 'all' ? 'all' : [...c.covered]),
      );
    }
    expect((await checkCardTallies(t.ctx)).wrong, `${step}: counts the check corrected`).toBe(0);
  };
  /** Everyone signs in (again: sessions end as the test's clock moves on days). */
  const signIn = async () => {
    rwgManager = await t.login('manager');
    sponsor = await t.login('sponsor');
    rxxManager = await t.login('rxx.manager', 'correct horse battery');
    national = await t.login('national.sigmanager', 'correct horse battery');
  };
  const people = async (who: SignedIn, system: string, query = '') =>
    (await report(who, query)).find((s) => s.system === system)?.people;

  beforeAll(async () => {
    t = await createTestApp(driver);
    await secondTrust(t);
    await activated(t, 'national.sigmanager', 'ra_manager', null);
    await signIn();
    await allRight('the demo trust and the second trust');
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('counts an assignment made, removed and ended, through the API', async () => {
    const someone = await person('RWG01');
    const ward = await position('RWG01', ['systmone', 'pacs']);
    const before = await people(rwgManager, 'pacs');
    const res = await post(t, national, `/api/people/${someone}/assignments`, {
      positionId: ward,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await people(rwgManager, 'pacs')).toBe((before ?? 0) + 1);
    await allRight('assigned');
    const removed = await post(t, national, `/api/people/${someone}/assignments/${id}/remove`, {
      note: 'No longer on the ward',
    });
    expect(removed.status, await removed.clone().text()).toBe(204);
    expect(await people(rwgManager, 'pacs')).toBe(before);
    await allRight('removed');
    // Assigned again, and ended by hand (as closing a person ends theirs), then deleted.
    const again = await assign(someone, ward);
    await allRight('assigned again');
    await exec(
      sql`update assignments set ended_at = now(), end_reason = 'person_closed' where id = ${again}`,
    );
    await allRight('ended');
    const third = await assign(someone, ward);
    await allRight('assigned a third time');
    await exec(sql`delete from assignments where id = ${third}`);
    await allRight('deleted');
  });

  it('follows a position whose systems change, and one closed', async () => {
    const one = await person('RWG02');
    const two = await person('RWG02');
    const desk = await position('RWG02', []);
    await assign(one, desk);
    await assign(two, desk);
    await allRight('a post that opens nothing');
    const patched = await t.app.request(`/api/positions/${desk}`, {
      method: 'PATCH',
      headers: national.headers,
      body: JSON.stringify({ systems: ['ers', 'sus'] }),
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect(await people(rwgManager, 'ers', '?organisation=RWG02')).toBeGreaterThanOrEqual(2);
    await allRight('systems given');
    await t.app.request(`/api/positions/${desk}`, {
      method: 'PATCH',
      headers: national.headers,
      body: JSON.stringify({ systems: ['sus'] }),
    });
    await allRight('a system taken away');
    // A position moved to another organisation (no route does this; the trigger follows it).
    await exec(sql`update positions set ods_code = 'RWG01' where id = ${desk}`);
    await allRight('moved to another site');
    const closed = await post(t, national, `/api/positions/${desk}/close`, {
      reason: 'The desk is gone',
    });
    expect(closed.status, await closed.clone().text()).toBe(200);
    await allRight('closed');
    // Reopened by hand, with its assignments not ended: counted again.
    const three = await person('RWG02');
    const lab = await position('RWG02', ['pacs']);
    await assign(three, lab);
    await exec(sql`update positions set status = 'closed', closed_at = now() where id = ${lab}`);
    await allRight('closed by hand, assignment open');
    await exec(sql`update positions set status = 'active', closed_at = null where id = ${lab}`);
    await allRight('reopened');
  });

  it('counts an assignment from its start date, and not past its end date', async () => {
    const soon = await person('RWG01');
    const lapsing = await person('RWG01');
    const theatre = await position('RWG01', ['esr']);
    const today = todayOf(t.clock.now());
    const before = await people(sponsor, 'esr');
    await assign(soon, theatre, { start: addDays(today, 2) });
    await assign(lapsing, theatre, { end: addDays(today, 1) });
    expect(await people(sponsor, 'esr')).toBe((before ?? 0) + 1);
    await allRight('one starting in two days, one ending tomorrow');
    t.clock.advance(2 * dayMs);
    await signIn();
    // The future one has started; the other is past its end date, not yet marked ended.
    expect(await people(sponsor, 'esr')).toBe((before ?? 0) + 1);
    await allRight('two days on');
    expect(await endExpiredAssignments(t.ctx)).toBeGreaterThanOrEqual(1);
    await allRight('the lapsed one marked ended');
  });

  it('counts a person in two organisations of a trust once, and one in two trusts in each', async () => {
    const both = await person('RWG01', 'RWG02', 'RXX01');
    const rwgBefore = await people(rwgManager, 'pacs');
    const rxxBefore = await people(rxxManager, 'pacs');
    await assign(both, await position('RWG01', ['pacs']));
    await assign(both, await position('RWG02', ['pacs', 'ers']));
    await allRight('two sites of a trust');
    expect(await people(rwgManager, 'pacs')).toBe((rwgBefore ?? 0) + 1);
    await assign(both, await position('RXX01', ['pacs']));
    expect(await people(rwgManager, 'pacs')).toBe((rwgBefore ?? 0) + 1);
    expect(await people(rxxManager, 'pacs')).toBe((rxxBefore ?? 0) + 1);
    await allRight('two trusts');
    // A not-yet-started assignment in one site, beside a held one in another: counted once.
    const later = await position('RWG02', ['pacs']);
    await assign(both, later, { start: addDays(todayOf(t.clock.now()), 3) });
    expect(await people(rwgManager, 'pacs')).toBe((rwgBefore ?? 0) + 1);
    await allRight('a third, not started');
  });

  it('moves a person’s count when an assignment passes to another person or position', async () => {
    const from = await person('RWG01');
    const to = await person('RXX01');
    const id = await assign(from, await position('RWG01', ['systmone']));
    await allRight('assigned');
    await exec(sql`update assignments set person_id = ${to} where id = ${id}`);
    await allRight('passed to another person');
    await exec(
      sql`update assignments set position_id = ${await position('RXX01', ['ers'])} where id = ${id}`,
    );
    await allRight('moved to another position');
  });

  it('is put right by the check when a count is wrong, and the check counts it', async () => {
    const someone = await person('RWG01');
    await assign(someone, await position('RWG01', ['sus']));
    await foldCardTallies(t.ctx);
    const before = await people(sponsor, 'sus');
    // One person too many with the signature just written (a hand repair gone wrong).
    const [kept] = await exec<{ signature: string[] }>(
      sql`select signature from person_access_signatures where person_id = ${someone}`,
    );
    expect(kept?.signature.length).toBe(1);
    await exec(sql`insert into system_access_tallies (signature, ods_codes, n)
      select signature, system_access_codes(signature), 1 from person_access_signatures
       where person_id = ${someone}`);
    // The report reads the kept counts: it is wrong now.
    expect(await people(sponsor, 'sus')).toBe((before ?? 0) + 1);
    // And a person's kept signature changed behind the triggers' back.
    await exec(
      sql`update person_access_signatures set signature = '{}' where person_id = ${someone}`,
    );
    expect((await checkCardTallies(t.ctx)).wrong).toBe(2);
    expect(await people(sponsor, 'sus')).toBe(before);
    await allRight('after the check');
  });

  // PGlite has one connection: nothing runs at once there.
  if (driver === 'postgres') {
    it('loses no change with 20 transactions assigning and removing for the same people at once', async () => {
      const few = [await person('RWG01'), await person('RWG01', 'RWG02'), await person('RWG02')];
      const posts = [
        await position('RWG01', ['systmone']),
        await position('RWG01', ['pacs']),
        await position('RWG02', ['ers', 'pacs']),
        await position('RWG02', ['sus']),
      ];
      for (let round = 0; round < 5; round++) {
        const calls: Promise<string | null>[] = [];
        for (let i = 0; i < 20; i++) {
          const who = few[(i + round) % few.length] ?? '';
          const post_ = posts[(i * 7 + round) % posts.length] ?? '';
          const other = posts[(i * 3 + round + 1) % posts.length] ?? '';
          calls.push(
            t.db
              .transaction(async (tx) => {
                await tx.execute(sql`select pg_sleep(random() * 0.01)`);
                if ((i + round) % 3 === 0) {
                  await tx.execute(sql`update assignments set ended_at = now(), end_reason = 'removed'
                    where person_id = ${who} and ended_at is null and position_id = ${other}`);
                } else {
                  await tx.execute(sql`insert into assignments (person_id, position_id, start_date, created_at)
                    values (${who}, ${post_}, ${todayOf(t.clock.now())}, now()) on conflict do nothing`);
                }
                await tx.execute(sql`select pg_sleep(random() * 0.01)`);
                if (i % 4 === 1) {
                  await tx.execute(sql`update assignments set ended_at = now(), end_reason = 'removed'
                    where person_id = ${who} and ended_at is null and position_id = ${post_}`);
                }
              })
              .then(
                () => null,
                (e: Error & { cause?: { message?: string } }) => e.cause?.message ?? e.message,
              ),
          );
        }
        expect((await Promise.all(calls)).filter((e) => e !== null)).toEqual([]);
        await allRight(`round ${round}`);
      }
    }, 120_000);

    it('counts an assignment made while its position is being given systems by another transaction', async () => {
      for (const [round, systems] of [
        ['given', '{pacs}'],
        ['taken', '{}'],
      ] as const) {
        const someone = await person('RWG01');
        const desk = await position('RWG01', round === 'given' ? [] : ['pacs']);
        const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        let updated: () => void = () => {};
        const updating = new Promise<void>((resolve) => {
          updated = resolve;
        });
        // The position's change, its trigger run, waits uncommitted while the assignment is made.
        const change = t.db.transaction(async (tx) => {
          await tx.execute(
            sql`update positions set systems = ${systems}::text[] where id = ${desk}`,
          );
          updated();
          await wait(300);
        });
        await updating;
        await assign(someone, desk);
        await change;
        await allRight(`systems ${round} while assigned`);
      }
    }, 60_000);
  }
});
