import { randomBytes, randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinicalSystems } from '../../db/schema/access.ts';
import { checkCardTallies, foldCardTallies } from '../../server/services/dashboard/card-tallies.ts';
import { addDays, todayOf } from '../../server/services/dates.ts';
import { loginReturningTo, safeReturnPath } from '../../web/src/return-path.ts';
import { testDrivers } from '../support/databases.ts';
import { post } from '../support/people.ts';
import { activated, secondTrust, type Trust } from '../support/second-trust.ts';
import {
  insertAssignment,
  insertPosition,
  recountSystemAccess,
  type SystemRow,
} from '../support/system-access-fixtures.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

const esrHeader =
  'employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date';

/**
 * Attacks on session 15's changes: the session's reach and person read with the session
 * (a role changed, removed, an account disabled mid-session take effect on the very next
 * request), readTogether for callers whose scope is empty, the system-access report's kept
 * tallies (0023) under ESR imports, positions moved, closed and reopened, assignments passed
 * between people, the clock across midnight, folds and checks between, held to a recount made
 * here from assignments and positions; 20 API calls at once on PostgreSQL; an ESR import batch
 * beside an RA removing a position from one of its people (PostgreSQL); hostile ?organisation=
 * and ?from= values.
 */
describe('the sign-in return path (web/src/return-path.ts) against hostile ?next=', () => {
  const origin = 'https://ra.example.nhs.uk';
  /** Where a browser would go for what safeReturnPath returns: this origin, or nowhere. */
  const lands = (path: string | null) => (path === null ? null : new URL(path, origin).origin);

  it('never returns a path that leads off this origin', () => {
    const hostile = [
      '//evil.example',
      '/\\evil.example',
      '%2F%2Fevil.example',
      'javascript:alert(1)',
      '\t/evil.example',
      '/\t/evil.example',
      'https://evil.example/',
      '/.//evil.example',
      '/..//evil.example',
      '/%2e%2e//evil.example',
      '/%2E//evil.example',
      '/././/evil.example/people',
      '/a/..//evil.example',
      '/\u2215\u2215evil.example',
      '/\uff0f/evil.example',
      '/\u3000/evil.example',
      '/\u200b/evil.example',
      `/${'a'.repeat(20_000)}`,
      '/@evil.example',
      '/%2F%2Fevil.example',
    ];
    for (const next of hostile) {
      const path = safeReturnPath(next, origin);
      expect(lands(path), `${JSON.stringify(next.slice(0, 40))} → ${path?.slice(0, 40)}`).not.toBe(
        'https://evil.example',
      );
      if (path !== null) {
        expect(
          path.startsWith('/') && !path.startsWith('//'),
          JSON.stringify(path.slice(0, 40)),
        ).toBe(true);
        expect(lands(path)).toBe(origin);
      }
    }
    // Still honoured: a page with its query, the login's own address round-trips.
    expect(safeReturnPath('/people?q=a%20b&page=2', origin)).toBe('/people?q=a%20b&page=2');
    const login = new URL(loginReturningTo('/people?q=a&b=c'), origin);
    expect(safeReturnPath(login.searchParams.get('next'), origin)).toBe('/people?q=a&b=c');
  });
});

describe.each(testDrivers)('attacks on session 15 (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let national: SignedIn;
  let rxx: Trust;

  const exec = async <T = never>(query: ReturnType<typeof sql>) =>
    rowsOf<T>(await t.db.execute(query));
  const get = (who: SignedIn, path: string) => t.app.request(path, { headers: who.headers });

  /** A person made in SQL (this is about counts and scope), in these organisations. */
  const person = async (odsCodes: string[], employeeNumber: string | null = null) => {
    const id = randomUUID();
    const n = randomBytes(4).readUInt32BE(0);
    const family = `Quorvel ${randomBytes(3).toString('hex')}x`;
    await exec(sql`
      insert into people (id, user_id, given_name, family_name, date_of_birth, given_key, family_key,
        family_given_key, given_family_key, status, employee_number, created_at, updated_at)
      values (${id}, ${String(820_000_000_000 + n)}, 'Zembrin', ${family}, '1981-03-04', 'zembrin',
        ${family.toLowerCase()}, ${`${family.toLowerCase()} zembrin`}, ${`zembrin ${family.toLowerCase()}`},
        'active', ${employeeNumber}, now(), now())`);
    for (const ods of odsCodes) {
      await exec(
        sql`insert into person_organisations (person_id, ods_code) values (${id}, ${ods})`,
      );
    }
    return { id, family, number: employeeNumber ?? '' };
  };
  const position = (odsCode: string, systems: string[]) =>
    insertPosition(t.db, odsCode, systems, 'Attack post');
  const assign = (
    personId: string,
    positionId: string,
    dates: { start?: string; end?: string | null } = {},
  ) => insertAssignment(t.db, todayOf(t.clock.now()), personId, positionId, dates);

  /** The report worked out afresh from every position and assignment. */
  const recount = (covered: 'all' | string[]): Promise<SystemRow[]> =>
    recountSystemAccess(t.db, todayOf(t.clock.now()), covered);
  const report = async (who: SignedIn, query = '') => {
    const res = await get(who, `/api/reports/system-access${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { systems: SystemRow[] }).systems;
  };
  /** The RWG manager's, RWG01's, RWG02's (national, filtered) and the national report equal the recount. */
  const reportsRight = async (step: string) => {
    const views = [
      { who: manager, query: '', covered: ['RWG', 'RWG01', 'RWG02'] },
      { who: national, query: '?organisation=RWG01', covered: ['RWG01'] },
      { who: national, query: '?organisation=RWG02', covered: ['RWG02'] },
      { who: rxx.manager, query: '', covered: ['RXX', 'RXX01'] },
      { who: national, query: '', covered: 'all' as const },
    ];
    for (const v of views) {
      expect(await report(v.who, v.query), `${step}: ${v.query || 'own'}`).toEqual(
        await recount(v.covered),
      );
    }
  };
  const allRight = async (step: string) => {
    await reportsRight(step);
    await foldCardTallies(t.ctx);
    await reportsRight(`${step}, folded`);
    expect((await checkCardTallies(t.ctx)).wrong, `${step}: counts the check corrected`).toBe(0);
    await reportsRight(`${step}, checked`);
  };
  /** Signs everyone in again (sessions end as the test clock moves on by hours). */
  const signIn = async () => {
    manager = await t.login('manager');
    national = await t.login('national.attack15', 'correct horse battery');
    rxx.manager = await t.login('rxx.manager', 'correct horse battery');
  };

  // ESR files, as esr-import.test.ts applies them.
  const esrDryRun = async (csv: string) => {
    const res = await t.app.request('/api/esr-imports?fileName=staff.csv', {
      method: 'POST',
      headers: { ...manager.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string; planned: Record<string, number> }).id;
  };
  const esrView = async (id: string) =>
    (await (await get(manager, `/api/esr-imports/${id}`)).json()) as {
      status: string;
      outcomes: Record<string, number>;
    };
  const esrApplied = async (id: string) => {
    const res = await post(t, manager, `/api/esr-imports/${id}/apply`);
    expect(res.status, await res.clone().text()).toBe(202);
    await waitFor(async () => (await esrView(id)).status === 'applied', `import ${id} applied`);
    return esrView(id);
  };

  beforeAll(async () => {
    t = await createTestApp(driver);
    rxx = await secondTrust(t);
    await activated(t, 'national.attack15', 'ra_manager', null);
    await signIn();
    // The position ESR files map RWG01 + R8016 to (a role no demo position carries there).
    const created = await post(t, manager, '/api/positions', {
      odsCode: 'RWG01',
      name: 'Midwife attack post',
      jobRoles: ['R8016'],
      activities: [],
      workgroupIds: [],
      systems: ['systmone', 'pacs'],
      assignable: true,
    });
    expect(created.status, await created.clone().text()).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  describe('the reach read with the session', () => {
    it('follows a role moved to another trust, removed, and an account disabled, on the very next request', async () => {
      const agent = await activated(t, 'moving.agent15', 'ra_agent', 'RWG');
      const [account] = await exec<{ id: string }>(
        sql`select id from accounts where username = 'moving.agent15'`,
      );
      const rwgPerson = (await person(['RWG02'])).id;
      const rxxPerson = rxx.records.person;
      const see = async (id: string) => (await get(agent, `/api/people/${id}`)).status;
      expect(await see(rwgPerson)).toBe(200);
      expect(await see(rxxPerson)).toBe(404);
      const rwgReport = await get(agent, '/api/reports/system-access?organisation=RWG02');
      // An agent's reports, if any: never another trust's.
      const rxxReport = await get(agent, '/api/reports/system-access?organisation=RXX01');
      expect([403, 404]).toContain(rxxReport.status);
      // Moved to RXX: the same session, the next request.
      await exec(
        sql`update account_roles set ods_code = 'RXX' where account_id = ${account?.id ?? ''}`,
      );
      expect(await see(rwgPerson)).toBe(404);
      expect(await see(rxxPerson)).toBe(200);
      if (rwgReport.status === 200) {
        expect((await get(agent, '/api/reports/system-access?organisation=RWG02')).status).not.toBe(
          200,
        );
      }
      // A site of RXX created mid-session is in reach at once.
      await exec(sql`insert into organisations (ods_code, name, parent_ods_code)
        values ('RXX07', 'Crossfield Annexe (attack)', 'RXX') on conflict do nothing`);
      const annexed = (await person(['RXX07'])).id;
      expect(await see(annexed)).toBe(200);
      // Narrowed to a site: the trust's others go.
      await exec(
        sql`update account_roles set ods_code = 'RXX07' where account_id = ${account?.id ?? ''}`,
      );
      expect(await see(rxxPerson)).toBe(404);
      expect(await see(annexed)).toBe(200);
      // Role removed: nothing.
      await exec(sql`delete from account_roles where account_id = ${account?.id ?? ''}`);
      expect([403, 404]).toContain(await see(annexed));
      const me = await get(agent, '/api/me');
      expect(me.status).toBe(200);
      expect(((await me.json()) as { roles: unknown[] }).roles).toEqual([]);
      // Given back, then the account disabled: signed out on the next request.
      await exec(sql`insert into account_roles (account_id, role, ods_code)
        values (${account?.id ?? ''}, 'ra_agent', 'RXX')`);
      expect(await see(rxxPerson)).toBe(200);
      await exec(sql`update accounts set status = 'disabled' where id = ${account?.id ?? ''}`);
      expect(await see(rxxPerson)).toBe(401);
    });

    it('gives a sponsor of a trust exactly the trust, never its sites', async () => {
      const trustSponsor = await activated(t, 'trust.sponsor15', 'sponsor', 'RWG');
      const rows = await report(trustSponsor);
      expect(rows).toEqual(await recount(['RWG']));
      const site = await get(trustSponsor, '/api/reports/system-access?organisation=RWG01');
      expect([403, 404]).toContain(site.status);
      // Its person read with the session: raising a request for themselves is theirs, not another's.
      const mine = await get(trustSponsor, '/api/requests?view=mine&status=open');
      expect(mine.status).toBe(200);
    });

    it('counts nothing, and fails nothing, for callers whose scope is empty', async () => {
      // An RA agent and a sponsor of an organisation with no people, cards or positions.
      await exec(sql`insert into organisations (ods_code, name, parent_ods_code)
        values ('RWG77', 'Empty Ward (attack)', 'RWG') on conflict do nothing`);
      const empty = await activated(t, 'empty.sponsor15', 'sponsor', 'RWG77');
      const emptyAgent = await activated(t, 'empty.agent15', 'ra_agent', 'RWG77');
      const dash = await get(emptyAgent, '/api/dashboard');
      expect(dash.status, await dash.clone().text()).toBe(200);
      const d = (await dash.json()) as {
        cardsByState: { count: number }[];
        expiry: { buckets: { count: number }[] };
        openFlags: { count: number }[];
      };
      expect(d.cardsByState.every((s) => s.count === 0)).toBe(true);
      expect(d.expiry.buckets.every((b) => b.count === 0)).toBe(true);
      expect(d.openFlags.every((f) => f.count === 0)).toBe(true);
      expect(await report(empty)).toEqual(await recount(['RWG77']));
      expect((await report(empty)).every((r) => r.people === 0 && r.positions === 0)).toBe(true);
      const positionsList = await get(empty, '/api/positions?organisation=RWG77');
      expect(positionsList.status).toBeLessThan(500);
      const inbox = await get(empty, '/api/requests?view=inbox&status=open');
      expect(inbox.status, await inbox.clone().text()).toBe(200);
      expect(((await inbox.json()) as { items: unknown[] }).items).toEqual([]);
      // An account with no roles at all.
      const nobody = await activated(t, 'no.roles15', 'staff', 'RWG77');
      await exec(sql`delete from account_roles where account_id =
        (select id from accounts where username = 'no.roles15')`);
      for (const path of [
        '/api/dashboard',
        '/api/reports/system-access',
        '/api/flags',
        '/api/positions',
      ]) {
        const res = await get(nobody, path);
        expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(500);
        expect(res.status, path).not.toBe(200);
      }
    });

    it('shows an open request decided later as decided, and never another trust’s, with status=open', async () => {
      const agent = await t.login('agent');
      const someone = (await person(['RWG01'])).id;
      const desk = await position('RWG01', ['pacs']);
      const raised = await post(t, agent, '/api/requests', { personId: someone, positionId: desk });
      expect(raised.status, await raised.clone().text()).toBe(201);
      const { id } = (await raised.json()) as { id: string };
      const open = async (who: SignedIn) =>
        (
          (await (await get(who, '/api/requests?view=inbox&status=open&limit=200')).json()) as {
            items: { id: string; status: string }[];
          }
        ).items;
      expect((await open(manager)).map((r) => r.id)).toContain(id);
      expect((await open(rxx.manager)).map((r) => r.id)).not.toContain(id);
      const approved = await post(t, manager, `/api/requests/${id}/approve`, {});
      expect(approved.status, await approved.clone().text()).toBe(200);
      expect((await open(manager)).map((r) => r.id)).not.toContain(id);
      expect((await open(manager)).every((r) => r.status === 'open')).toBe(true);
    });
  });

  describe('the system-access report under hostile sequences', () => {
    it('equals a recount through ESR end dates, leavers and the clock across midnight', async () => {
      const number = () => String(30_000_000 + (randomBytes(3).readUIntBE(0, 3) % 9_000_000));
      const staying = { ...(await person(['RWG01'], number())), n: '' };
      const leaving = { ...(await person(['RWG01'], number())), n: '' };
      for (const p of [staying, leaving]) {
        const [row] = await exec<{ employee_number: string }>(
          sql`select employee_number from people where id = ${p.id}`,
        );
        p.n = row?.employee_number ?? '';
      }
      const line = (p: { n: string; family: string }, start: string, end = '') =>
        `${p.n},${p.family},Zembrin,1981-03-04,,RWG01,R8016,${start},${end}`;
      const today = todayOf(t.clock.now());
      await allRight('before');
      // Both given the position by ESR.
      const join = await esrDryRun(
        [esrHeader, line(staying, '2026-01-01'), line(leaving, '2026-01-01')].join('\n'),
      );
      expect((await esrApplied(join)).outcomes).toEqual({ changed: 2 });
      await allRight('both given the position by ESR');
      // ESR sets one an end date of today: held today, not tomorrow.
      const ends = await esrDryRun([esrHeader, line(staying, '2026-01-01', today)].join('\n'));
      expect((await esrApplied(ends)).outcomes).toEqual({ changed: 1 });
      await allRight('an end date of today');
      // Past midnight (London), the end date has passed, not yet marked ended.
      const now = t.clock.now();
      const toMidnight = new Date(`${addDays(today, 1)}T00:00:00Z`).getTime() - now.getTime();
      t.clock.advance(toMidnight - 2_000);
      await signIn();
      await allRight('two seconds before midnight');
      t.clock.advance(4_000 + 3_600_000);
      await signIn();
      expect(todayOf(t.clock.now())).toBe(addDays(today, 1));
      await allRight('past midnight, the end date passed');
      // The other leaves: ESR ends their assignment.
      const left = await esrDryRun(
        [esrHeader, line(leaving, '2026-01-01', addDays(today, -1))].join('\n'),
      );
      expect((await esrApplied(left)).outcomes).toEqual({ left: 1 });
      await allRight('a leaver');
    }, 120_000);

    it('equals a recount through positions moved, emptied, closed and reopened with undated assignments', async () => {
      const today = todayOf(t.clock.now());
      const a = (await person(['RWG01', 'RWG02', 'RXX01'])).id;
      const b = (await person(['RWG01'])).id;
      const ward = await position('RWG01', ['systmone', 'esr']);
      const lab = await position('RWG02', ['pacs']);
      const cross = await position('RXX01', ['pacs', 'sus']);
      const future = await assign(a, ward, { start: addDays(today, 1) });
      const lapsed = await assign(b, ward, { start: addDays(today, -10), end: addDays(today, -1) });
      await assign(a, lab);
      await assign(a, cross, { start: addDays(today, -5), end: addDays(today, -2) });
      await allRight('undated and held, in two trusts');
      // The position with the undated assignments moves to the other site, then the other trust.
      await exec(sql`update positions set ods_code = 'RWG02' where id = ${ward}`);
      await allRight('moved to RWG02');
      await exec(sql`update positions set ods_code = 'RXX01' where id = ${ward}`);
      await allRight('moved to RXX01');
      // Its systems emptied, then given back.
      const emptied = await t.app.request(`/api/positions/${ward}`, {
        method: 'PATCH',
        headers: national.headers,
        body: JSON.stringify({ systems: [] }),
      });
      expect(emptied.status, await emptied.clone().text()).toBe(200);
      await allRight('systems emptied');
      await exec(sql`update positions set systems = '{esr}' where id = ${ward}`);
      await allRight('systems given back');
      // The lapsed assignment passes to the person with the future one; the future one to b.
      const c = (await person(['RWG01'])).id;
      await exec(sql`update assignments set person_id = ${c} where id = ${future}`);
      await exec(sql`update assignments set person_id = ${a} where id = ${lapsed}`);
      await allRight('undated assignments passed between people');
      await exec(sql`update assignments set person_id = ${b} where id = ${future}`);
      await allRight('undated assignments passed between people');
      // Closed by hand with its undated assignments open, and reopened.
      await exec(sql`update positions set status = 'closed', closed_at = now() where id = ${ward}`);
      await allRight('closed by hand');
      await exec(sql`update positions set status = 'active', closed_at = null where id = ${ward}`);
      await allRight('reopened');
      // The lab closed through the API (ends held assignments only), a's future one elsewhere stays.
      const closed = await post(t, national, `/api/positions/${lab}/close`, {
        reason: 'The lab moved (attack)',
      });
      expect(closed.status, await closed.clone().text()).toBe(200);
      await allRight('closed through the API');
      // A day on: the future assignment starts, the lapsed ones are further past.
      t.clock.advance(86_400_000);
      await signIn();
      await allRight('a day on');
    }, 120_000);
  });

  describe('hostile filter values', () => {
    it('answers hostile ?organisation= and ?from= with a 4xx, never a 500 or another trust’s counts', async () => {
      const long = 'R'.repeat(5000);
      const values = [
        'RXX',
        'RXX01',
        "RWG' or '1'='1",
        'RWG%00',
        '%00',
        '',
        ',,,',
        'RWG,RXX',
        long,
        'rwg',
        'ＲＷＧ',
        'RWG:1',
        '{RWG,RXX}',
        'RWG\u0000',
        Array.from({ length: 400 }, (_, i) => `R${i}`).join(','),
      ];
      const theirs = await recount(['RXX', 'RXX01']);
      for (const value of values) {
        for (const path of ['/api/reports/system-access', '/api/reports/system-access.csv']) {
          const res = await get(manager, `${path}?organisation=${encodeURIComponent(value)}`);
          expect(
            res.status,
            `${path} ${value.slice(0, 40)}: ${await res.clone().text()}`,
          ).toBeLessThan(500);
          if (res.status === 200 && path.endsWith('access')) {
            const rows = ((await res.json()) as { systems: SystemRow[] }).systems;
            if (theirs.some((r) => r.people > 0)) expect(rows).not.toEqual(theirs);
          }
        }
        // Repeated parameters.
        const twice = await get(
          manager,
          `/api/reports/system-access?organisation=RWG&organisation=${encodeURIComponent(value)}`,
        );
        expect(twice.status, `twice ${value.slice(0, 40)}`).toBeLessThan(500);
      }
      const reports = (await (await get(manager, '/api/reports')).json()) as unknown;
      const names = JSON.stringify(reports).match(/"[a-z-]+"/g) ?? [];
      for (const from of [
        '<script>',
        '2026-02-30',
        '0000-01-01',
        '9999-12-31',
        '10000-01-01',
        '2026-1-1',
        '２０２６-０１-０１',
        '2026-01-01T00:00:00Z',
        '2026-01-01\u0000',
        'x'.repeat(5000),
      ]) {
        for (const name of [
          'positions-ending',
          'system-access',
          ...names.map((n) => n.slice(1, -1)),
        ]) {
          const res = await get(manager, `/api/reports/${name}?from=${encodeURIComponent(from)}`);
          expect(
            res.status,
            `${name} from=${from.slice(0, 30)}: ${await res.clone().text()}`,
          ).toBeLessThan(500);
          if (res.status === 400) {
            const body = (await res.json()) as { error: { details?: unknown[] } };
            // One message for a value that is no date at all.
            expect(
              (body.error.details ?? []).length,
              `${name} from=${from.slice(0, 30)}: ${JSON.stringify(body)}`,
            ).toBeLessThanOrEqual(1);
          }
        }
      }
    });
  });

  // PGlite has one connection: nothing runs at once there.
  if (driver === 'postgres') {
    describe('at once (PostgreSQL)', () => {
      /**
       * Holds a lock from a transaction of the test's own until let go: the window a batch of
       * 2,000 rows leaves open as a matter of course, made certain. Resolves once it is held.
       */
      const holdLock = async (statement: SQL) => {
        let release: () => void = () => {};
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        let holding: () => void = () => {};
        const held = new Promise<void>((resolve) => {
          holding = resolve;
        });
        const hold = t.db.transaction(async (tx) => {
          await tx.execute(statement);
          holding();
          await released;
        });
        await held;
        return async () => {
          release();
          await hold;
        };
      };
      const waiters = async () =>
        (
          await exec<{ n: number }>(sql`select count(*)::int as n from pg_locks where not granted`)
        )[0]?.n ?? 0;
      /**
       * Applies an import, waits until its batch waits on a held lock, then makes `call` and
       * waits until it is answered or waits too: its answer, once the lock is let go.
       */
      const besideBatch = async (
        importId: string,
        call: () => Promise<Response>,
        what: string,
      ): Promise<Promise<Response>> => {
        const applying = await post(t, manager, `/api/esr-imports/${importId}/apply`);
        expect(applying.status).toBe(202);
        await waitFor(async () => (await waiters()) >= 1, 'the batch waiting');
        let status = 0;
        const answer = call().then((res) => {
          status = res.status;
          return res;
        });
        await waitFor(
          async () => status !== 0 || (await waiters()) >= 2,
          `${what} done or waiting`,
        );
        return answer;
      };
      /** Employee numbers for ESR lines, from 8 digits starting at `from`. */
      const employeeNumber = (from: number) =>
        String(from + (randomBytes(3).readUIntBE(0, 3) % 9_000_000));
      /** The ESR lines of these people (as `person` made them), with this end date. */
      const esrLines = (rows: { who: { family: string; number: string }; end?: string }[]) =>
        [
          esrHeader,
          ...rows.map(
            ({ who, end }) =>
              `${who.number},${who.family},Zembrin,1981-03-04,,RWG01,R8016,2026-01-01,${end ?? ''}`,
          ),
        ].join('\n');
      it('keeps counts through 20 API calls at once approving, removing and editing positions for the same people', async () => {
        const agent = await t.login('agent');
        const few = [(await person(['RWG01', 'RWG02'])).id, (await person(['RWG01', 'RWG02'])).id];
        const posts = [
          await position('RWG01', ['systmone']),
          await position('RWG01', ['pacs', 'ers']),
          await position('RWG02', ['sus']),
          await position('RWG02', []),
        ];
        const statuses: number[] = [];
        const texts: string[] = [];
        for (let round = 0; round < 4; round++) {
          // Requests raised first (one open per person and position), decided at once below.
          const requests: string[] = [];
          for (let i = 0; i < 4; i++) {
            const who = few[(i + round) % few.length] ?? '';
            const to = posts[(i + round) % posts.length] ?? '';
            const res = await post(t, agent, '/api/requests', { personId: who, positionId: to });
            if (res.status === 201) requests.push(((await res.json()) as { id: string }).id);
          }
          const held = await exec<{ id: string; person_id: string }>(sql`
            select id, person_id from assignments
             where ended_at is null and person_id in (${few[0] ?? ''}, ${few[1] ?? ''})`);
          const calls: (Response | Promise<Response>)[] = [];
          for (let i = 0; i < 20; i++) {
            const kind = i % 4;
            if (kind === 0 && requests.length) {
              calls.push(
                post(t, manager, `/api/requests/${requests[i % requests.length]}/approve`, {}),
              );
            } else if (kind === 1 && held.length) {
              const h = held[i % held.length];
              calls.push(
                post(t, manager, `/api/people/${h?.person_id}/assignments/${h?.id}/remove`, {
                  note: 'Attack removal',
                }),
              );
            } else if (kind === 2) {
              const p = posts[i % posts.length] ?? '';
              const systems = [clinicalSystems[(i + round) % 5], clinicalSystems[(i * 3) % 5]];
              calls.push(
                t.app.request(`/api/positions/${p}`, {
                  method: 'PATCH',
                  headers: manager.headers,
                  body: JSON.stringify({ systems: [...new Set(systems)] }),
                }),
              );
            } else {
              const who = few[i % few.length] ?? '';
              const to = posts[(i + round + 1) % posts.length] ?? '';
              calls.push(post(t, manager, `/api/people/${who}/assignments`, { positionId: to }));
            }
          }
          for (const res of await Promise.all(calls)) {
            statuses.push(res.status);
            if (res.status >= 500) texts.push(await res.text());
          }
          await allRight(`round ${round}`);
        }
        expect(texts).toEqual([]);
        expect(statuses.some((s) => s < 300)).toBe(true);
      }, 120_000);

      it('keeps counts with folds and nightly checks running among API assignments and removals', async () => {
        const few = [(await person(['RWG01'])).id, (await person(['RWG01', 'RWG02'])).id];
        const posts = [
          await position('RWG01', ['systmone', 'ers']),
          await position('RWG02', ['pacs']),
          await position('RWG01', ['sus']),
        ];
        const failures: string[] = [];
        for (let round = 0; round < 3; round++) {
          const held = await exec<{ id: string; person_id: string }>(sql`
            select id, person_id from assignments
             where ended_at is null and person_id in (${few[0] ?? ''}, ${few[1] ?? ''})`);
          const calls: Promise<unknown>[] = [];
          for (let i = 0; i < 12; i++) {
            if (i % 4 === 3) {
              calls.push(
                (i % 8 === 3 ? foldCardTallies(t.ctx) : checkCardTallies(t.ctx)).catch((e: Error) =>
                  failures.push(`job: ${e.message}`),
                ),
              );
            } else if (i % 4 === 1 && held.length) {
              const h = held[i % held.length];
              calls.push(
                post(t, manager, `/api/people/${h?.person_id}/assignments/${h?.id}/remove`, {
                  note: 'Attack removal',
                }).then(async (res) => {
                  if (res.status >= 500) failures.push(await res.text());
                }),
              );
            } else {
              const who = few[(i + round) % few.length] ?? '';
              const to = posts[(i + round) % posts.length] ?? '';
              calls.push(
                post(t, manager, `/api/people/${who}/assignments`, { positionId: to }).then(
                  async (res) => {
                    if (res.status >= 500) failures.push(await res.text());
                  },
                ),
              );
            }
          }
          await Promise.all(calls);
          await allRight(`folds and checks among writers, round ${round}`);
        }
        expect(failures).toEqual([]);
      }, 120_000);

      it('lets an RA remove a position from someone an ESR batch is ending another of, without a 500', async () => {
        const number = () => employeeNumber(40_000_000);
        const first = await person(['RWG01', 'RWG02'], number());
        const second = await person(['RWG01', 'RWG02'], number());
        const ward = await position('RWG01', ['systmone']);
        const other = await position('RWG02', ['pacs']);
        await assign(first.id, ward);
        const ending = await assign(second.id, ward);
        const removing = await assign(second.id, other);
        const yesterday = addDays(todayOf(t.clock.now()), -1);
        // Both leave RWG01: the batch ends first's ward post (and takes the audit chain's lock),
        // then second's.
        const id = await esrDryRun(
          esrLines([
            { who: first, end: yesterday },
            { who: second, end: yesterday },
          ]),
        );
        // Holds second's ward assignment a moment, so the batch is between its two rows when
        // the RA's removal comes: the window a batch of 2,000 rows leaves open as a matter of
        // course, made certain here.
        const letGo = await holdLock(
          sql`select id from assignments where id = ${ending} for update`,
        );
        const removal = await besideBatch(
          id,
          () =>
            post(t, manager, `/api/people/${second.id}/assignments/${removing}/remove`, {
              note: 'Moved off the lab (attack)',
            }),
          'the removal',
        );
        await letGo();
        const res = await removal;
        expect(res.status, await res.clone().text()).toBe(204);
        await waitFor(async () => (await esrView(id)).status === 'applied', 'the import applied');
        expect((await esrView(id)).outcomes).toEqual({ left: 2 });
        await allRight('an ESR batch beside a removal');
      }, 60_000);

      it('lets an RA remove the very assignment an ESR batch ends, without a 500', async () => {
        const number = () => employeeNumber(60_000_000);
        const first = await person(['RWG01'], number());
        const second = await person(['RWG01'], number());
        const ward = await position('RWG01', ['systmone']);
        const clinic = await position('RWG01', ['ers']);
        const firsts = await assign(first.id, ward);
        const seconds = await assign(second.id, clinic);
        const yesterday = addDays(todayOf(t.clock.now()), -1);
        const id = await esrDryRun(
          esrLines([
            { who: first, end: yesterday },
            { who: second, end: yesterday },
          ]),
        );
        // First's assignment held a moment: the batch waits at its first row while the RA
        // removes second's, which the batch ends next.
        const letGo = await holdLock(
          sql`select id from assignments where id = ${firsts} for update`,
        );
        const removal = await besideBatch(
          id,
          () =>
            post(t, manager, `/api/people/${second.id}/assignments/${seconds}/remove`, {
              note: 'Left the clinic (attack)',
            }),
          'the removal',
        );
        await letGo();
        const res = await removal;
        // Removed, or already ended by the batch (409): never a deadlock's 500.
        expect([204, 409], await res.clone().text()).toContain(res.status);
        await waitFor(async () => (await esrView(id)).status === 'applied', 'the import applied');
        const ended = await exec<{ ended_at: unknown }>(
          sql`select ended_at from assignments where id in (${firsts}, ${seconds})`,
        );
        expect(ended.every((a) => a.ended_at !== null)).toBe(true);
        await allRight('an ESR batch ending what an RA removes');
      }, 60_000);

      it('lets an RA approve a position for someone an ESR batch is renaming, without a 500', async () => {
        const agent = await t.login('agent');
        const number = () => employeeNumber(50_000_000);
        const first = await person(['RWG01'], number());
        const second = await person(['RWG01'], number());
        const lab = await position('RWG01', ['pacs']);
        const raised = await post(t, agent, '/api/requests', {
          personId: second.id,
          positionId: lab,
        });
        expect(raised.status, await raised.clone().text()).toBe(201);
        const requestId = ((await raised.json()) as { id: string }).id;
        // Both given the ESR-mapped post, and second renamed: the batch writes second's row.
        const id = await esrDryRun(
          esrLines([{ who: first }, { who: { ...second, family: `${second.family}y` } }]),
        );
        // Second's row held FOR SHARE a moment (as an approval holds it), so the batch reaches
        // second while the RA's approval is under way.
        const letGo = await holdLock(sql`select id from people where id = ${second.id} for share`);
        const approval = await besideBatch(
          id,
          () => post(t, manager, `/api/requests/${requestId}/approve`, {}),
          'the approval',
        );
        await letGo();
        const res = await approval;
        expect(res.status, await res.clone().text()).toBe(200);
        await waitFor(async () => (await esrView(id)).status === 'applied', 'the import applied');
        expect((await esrView(id)).outcomes).toEqual({ changed: 2 });
        await allRight('an ESR batch beside an approval');
      }, 60_000);
    });
  }
});
