import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema/access.ts';
import { auditEvents } from '../../db/schema/audit.ts';
import { cardFlags, cards } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { withTransaction } from '../../server/services/context.ts';
import { applyImportBatch } from '../../server/services/imports/apply-import-batch.ts';
import { pgArray } from '../../server/services/imports/pg-array.ts';
import { createCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPositionId, post, registerActivePerson } from '../support/people.ts';
import { secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const header =
  'employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date';

interface ImportView {
  id: string;
  status: string;
  rowCount: number;
  planned: Record<string, number>;
  done: number;
  outcomes: Record<string, number>;
  createdBy: { username: string; displayName: string } | null;
  appliedBy: { username: string; displayName: string } | null;
}
interface Row {
  line: number;
  key: string;
  fields: Record<string, string>;
  plan: string;
  message: string;
  personId: string | null;
  outcome: string | null;
  outcomeMessage: string | null;
}

describe.each(testDrivers)('ESR import (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let rxx: Trust;

  beforeAll(async () => {
    // 1 MiB: the size limit is reached by a small stream here, as 100 MiB would be in life.
    t = await createTestApp(driver, { env: { ESR_IMPORT_MAX_MB: '1' } });
    manager = await t.login('manager');
    rxx = await secondTrust(t);
  });
  afterAll(() => t.close());

  async function upload(
    who: SignedIn,
    csv: string | ReadableStream<Uint8Array>,
    extra: Record<string, string> = {},
  ) {
    return t.app.request('/api/esr-imports?fileName=staff.csv', {
      method: 'POST',
      headers: { ...who.headers, 'content-type': 'text/csv', ...extra },
      body: csv,
      ...(typeof csv === 'string' ? {} : { duplex: 'half' }),
    } as RequestInit);
  }

  async function dryRun(csv: string, who = manager): Promise<ImportView> {
    const res = await upload(who, csv);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as ImportView;
  }

  async function rowsOf(id: string, who = manager): Promise<Row[]> {
    const res = await t.app.request(`/api/esr-imports/${id}/rows?limit=500`, {
      headers: who.headers,
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Row[] }).items;
  }

  async function applied(id: string): Promise<ImportView> {
    const res = await post(t, manager, `/api/esr-imports/${id}/apply`);
    expect(res.status, await res.clone().text()).toBe(202);
    let view: ImportView | undefined;
    await waitFor(async () => {
      const got = await t.app.request(`/api/esr-imports/${id}`, { headers: manager.headers });
      view = (await got.json()) as ImportView;
      return view.status === 'applied';
    }, `import ${id} applied`);
    if (!view) throw new Error('no view');
    return view;
  }

  const line = (rows: Row[], n: number) => {
    const row = rows.find((r) => r.line === n);
    if (!row) throw new Error(`no line ${n}`);
    return row;
  };

  it('names every problem of a line at once: its fields, and its unknown codes beside them', async () => {
    const csv = [
      header,
      // A date of birth that is no date, an unknown ODS code and an unknown job role.
      '10000101,Quillfeather,Odile,1990-02-30,,ZZZ98,R9998,2026-01-05,',
      // Codes alone: an organisation not the manager's and an unknown role.
      '10000102,Brambleton,Ysolde,1990-01-01,,RXX,R9998,2026-01-05,',
      // A code not written as one is its own field's problem, and no catalogue is asked of it.
      '10000103,Marrowby,Tamsin,1990-02-30,,not-a-code,R8001,2026-01-05,',
    ].join('\r\n');
    const view = await dryRun(csv);
    expect(view.planned).toEqual({ refuse: 3 });
    const rows = await rowsOf(view.id);
    expect(line(rows, 2).message).toBe(
      'Line 2: the date of birth "1990-02-30" is not a date (write it as YYYY-MM-DD or DD/MM/YYYY); no organisation has ODS code ZZZ98; the job role code R9998 is not in the national RBAC catalogue.',
    );
    expect(line(rows, 3).message).toBe(
      'Line 3: RXX is not one of your organisations: you cannot import its staff; the job role code R9998 is not in the national RBAC catalogue.',
    );
    expect(line(rows, 4).message).toBe(
      'Line 4: the date of birth "1990-02-30" is not a date (write it as YYYY-MM-DD or DD/MM/YYYY); the ODS code "not-a-code" is not one (like RWG01).',
    );
  });

  it('dry-runs a file line by line, applies it, and a second run of the same file changes nothing', async () => {
    const csv = [
      header,
      '10000001,Okonkwo,Chidi,1988-02-14,chidi.okonkwo@demo.nhs.example,RWG01,R8001,2026-01-05,',
      '10000002,Whitfield,Harriet,03/07/1979,,RWG02,R8009,2025-11-01,2027-10-31',
      '10000003,Bad,Date,1990-02-30,,RWG01,R8001,2026-01-05,',
      '10000004,Nowhere,Nora,1990-01-01,,ZZZ99,R8001,2026-01-05,',
      '10000005,Role,Rory,1990-01-01,,RWG01,R9999,2026-01-05,',
      '10000006,Twice,Tara,1990-01-01,,RWG01,R8001,2026-01-05,',
      '10000006,Twice,Tom,1991-01-01,,RWG01,R8001,2026-01-05,',
      "10000008,=cmd|' /C calc'!A0,Eve,1990-01-01,,RWG01,R8001,2026-01-05,",
      '10000009,Crossfield,Carl,1990-01-01,,RXX,R8001,2026-01-05,',
      '10000010,Noposition,Nia,1990-01-01,,RWG01,R8003,2026-01-05,',
    ].join('\r\n');
    const view = await dryRun(csv);
    expect(view).toMatchObject({ status: 'checked', rowCount: 10, done: 0 });
    // Who checked it, by the name a page shows and the username that tells them apart.
    expect(view.createdBy).toEqual({ username: 'manager', displayName: 'Morgan Manager' });
    expect(view.planned).toEqual({ create: 2, refuse: 8 });
    const rows = await rowsOf(view.id);
    expect(line(rows, 2)).toMatchObject({ key: '10000001', plan: 'create' });
    expect(line(rows, 2).message).toContain('pending their identity check');
    expect(line(rows, 3)).toMatchObject({ plan: 'create' });
    expect(line(rows, 4).message).toMatch(/^Line 4: the date of birth "1990-02-30" is not a date/);
    expect(line(rows, 5).message).toBe('Line 5: no organisation has ODS code ZZZ99.');
    expect(line(rows, 6).message).toBe(
      'Line 6: the job role code R9999 is not in the national RBAC catalogue.',
    );
    expect(line(rows, 7).message).toBe(
      'Line 7: the employee number is also on line 8: one line per employee number.',
    );
    expect(line(rows, 8).message).toContain('the employee number 10000006 is also on line 7');
    expect(line(rows, 9).message).toContain('a spreadsheet would run as a formula');
    expect(line(rows, 9).message).not.toContain('"=cmd');
    expect(line(rows, 10).message).toBe(
      'Line 10: RXX is not one of your organisations: you cannot import its staff.',
    );
    expect(line(rows, 11).message).toMatch(
      /^Line 11: no open position at RWG01 carries job role R8003/,
    );
    // Every refused row names its line, whether its fields or the records refused it.
    const refused = rows.filter((r) => r.plan === 'refuse');
    expect(refused).toHaveLength(8);
    for (const r of refused) expect(r.message).toMatch(new RegExp(`^Line ${r.line}: `));
    // Nothing is applied by a dry run.
    const before = await t.db
      .select({ id: people.id })
      .from(people)
      .where(inArray(people.employeeNumber, ['10000001', '10000002']));
    expect(before).toEqual([]);

    const done = await applied(view.id);
    expect(done).toMatchObject({ status: 'applied', done: 10 });
    expect(done.appliedBy).toEqual({ username: 'manager', displayName: 'Morgan Manager' });
    expect(done.outcomes).toEqual({ created: 2, refused: 8 });
    const made = await t.db
      .select()
      .from(people)
      .where(inArray(people.employeeNumber, ['10000001', '10000002']));
    expect(made.map((p) => [p.givenName, p.dateOfBirth, p.status]).sort()).toEqual([
      ['Chidi', '1988-02-14', 'pending_id_check'],
      ['Harriet', '1979-07-03', 'pending_id_check'],
    ]);
    const after = await rowsOf(view.id);
    expect(line(after, 2)).toMatchObject({
      outcome: 'created',
      personId: made.find((p) => p.givenName === 'Chidi')?.id,
    });
    const events = await t.db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.subjectId, view.id));
    expect(events.map((e) => e.action)).toEqual([
      'import.checked',
      'import.apply_started',
      'import.batch_applied',
      'import.applied',
    ]);

    // The same file again: nothing to create, nothing created.
    const again = await dryRun(csv);
    expect(again.planned).toEqual({ unchanged: 2, refuse: 8 });
    const second = await applied(again.id);
    expect(second.outcomes).toEqual({ unchanged: 2, refused: 8 });
    const count = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(people)
      .where(inArray(people.employeeNumber, ['10000001', '10000002']));
    expect(count[0]?.n).toBe(2);
  });

  it('says the dates in its messages as people read them, not as the file writes them', async () => {
    const csv = [
      header,
      '40000001,Vantroy,Odile,1990-01-01,,RWG01,R8001,2026-11-01,2026-10-01',
      '40000002,Quillane,Bram,2090-01-01,,RWG01,R8001,2026-01-05,',
    ].join('\n');
    const rows = await rowsOf((await dryRun(csv)).id);
    expect(line(rows, 2).message).toBe(
      'Line 2: the end date 1 Oct 2026 is before the start date 1 Nov 2026.',
    );
    expect(line(rows, 3).message).toMatch(/^Line 3: the date of birth 1 Jan 2090: /);

    // A person on record by their employee number, whose date of birth the file gives otherwise.
    const idchecker = await t.login('idchecker');
    await registerActivePerson(t, idchecker, {
      givenName: 'Maelis',
      familyName: 'Torvane',
      dateOfBirth: '1984-03-09',
    });
    const linking = await dryRun(
      `${header}\n40000003,Torvane,Maelis,1984-03-09,,RWG01,R8010,2026-02-01,\n`,
    );
    expect((await applied(linking.id)).outcomes).toEqual({ changed: 1 });
    const other = await dryRun(
      `${header}\n40000003,Torvane,Maelis,1984-09-03,,RWG01,R8010,2026-02-01,\n`,
    );
    const [row] = await rowsOf(other.id);
    expect(row?.message).toBe(
      "Line 2: the date of birth 3 Sep 1984 differs from the record's (9 Mar 1984): check the person's identity, then correct whichever is wrong.",
    );
  });

  it('keeps every field exactly as sent, backslashes, quotes, tabs and line ends included', async () => {
    const family = 'Back\\slash "Quote"\tTab\\N';
    const given = 'Line\nEnd\r\\.';
    const email = '\\N';
    const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;
    const csv = `${header}\n70000001,${quote(family)},${quote(given)},1990-01-01,${quote(email)},RWG01,R8001,2026-01-05,\n70000002,${quote(family)},Plain,1990-01-01,,RWG01,R8001,2026-01-05,\n`;
    const view = await dryRun(csv);
    const rows = await rowsOf(view.id);
    // A record's line is the one it ends on: the line ends inside the given name count.
    const byKey = (key: string) => rows.find((r) => r.key === key);
    expect(byKey('70000001')?.fields).toMatchObject({ family_name: family, given_name: given });
    expect(byKey('70000001')?.fields.work_email).toBe(email);
    expect(byKey('70000001')?.plan).toBe('refuse');
    expect(byKey('70000002')).toMatchObject({ plan: 'create' });
    expect(byKey('70000002')?.fields.family_name).toBe(family);
    await applied(view.id);
    const [made] = await t.db.select().from(people).where(eq(people.employeeNumber, '70000002'));
    expect(made).toMatchObject({ familyName: family.trim(), givenName: 'Plain', email: null });
  });

  it('passes a column of a batch as one array parameter, whatever its text holds', async () => {
    const values = [
      'plain',
      'say "hi"',
      'back\\slash',
      'a,b',
      '{braces}',
      'NULL',
      '',
      ' spaced ',
      'tab\tline\nend',
      null,
    ];
    const got = (await t.db.execute(
      sql`select v, n from unnest(${pgArray(values)}::text[]) with ordinality as u(v, n) order by n`,
    )) as unknown;
    const rows = (Array.isArray(got) ? got : (got as { rows: unknown[] }).rows) as {
      v: string | null;
    }[];
    expect(rows.map((r) => r.v)).toEqual(values);
  });

  it('links a person registered by hand, gives their position, and ends it when they leave, flagging their card', async () => {
    const agent = await t.login('agent');
    const idchecker = await t.login('idchecker');
    const person = await registerActivePerson(t, idchecker, {
      givenName: 'Leona',
      familyName: 'Marsh',
      dateOfBirth: '1985-06-30',
    });
    const card = await createCard(t, { state: 'active', personId: person.id });
    const joining = `${header}\n20000001,Marsh,Leona,1985-06-30,leona.marsh@demo.nhs.example,RWG01,R8010,2026-02-01,\n`;
    const view = await dryRun(joining);
    const [row] = await rowsOf(view.id);
    expect(row).toMatchObject({ plan: 'change', personId: person.id });
    expect(row?.message).toContain('employee number 20000001 linked to the record');
    expect(row?.message).toContain('given "Ward Clerk"');
    expect((await applied(view.id)).outcomes).toEqual({ changed: 1 });
    const wardClerk = await demoPositionId(t, 'Ward Clerk');
    const held = await t.db
      .select()
      .from(assignments)
      .where(and(eq(assignments.personId, person.id), eq(assignments.positionId, wardClerk)));
    expect(held).toHaveLength(1);
    expect(held[0]?.endedAt).toBeNull();

    // Her end date has passed: a leaver.
    const leaving = `${header}\n20000001,Marsh,Leona,1985-06-30,,RWG01,R8010,2026-02-01,2026-11-20\n`;
    const leave = await dryRun(leaving);
    const [leaveRow] = await rowsOf(leave.id);
    expect(leaveRow?.plan).toBe('leave');
    expect(leaveRow?.message).toBe(
      `Leona Marsh left on 20 Nov 2026: end "Ward Clerk"; flag card ${card.serial} for return.`,
    );
    expect((await applied(leave.id)).outcomes).toEqual({ left: 1 });
    const [ended] = await t.db
      .select()
      .from(assignments)
      .where(eq(assignments.id, held[0]?.id ?? ''));
    expect(ended?.endReason).toBe('removed');
    expect(ended?.endedAt).not.toBeNull();
    const flags = await t.app.request('/api/flags?kind=return_due', { headers: agent.headers });
    const listed = (await flags.json()) as {
      items: { card: { serial: string }; summary: string; workstation: unknown }[];
    };
    expect(listed.items).toEqual([
      expect.objectContaining({
        card: expect.objectContaining({ serial: card.serial }),
        summary: 'The holder left on 20 Nov 2026: card to be returned',
        workstation: null,
      }),
    ]);
    // Again: nothing left open, nothing flagged twice.
    const again = await dryRun(leaving);
    expect(again.planned).toEqual({ unchanged: 1 });
    // Cancelling the card as left ends the flag.
    const back = await post(t, agent, `/api/cards/${card.serial}/cancel`, { reason: 'left' });
    expect(back.status, await back.clone().text()).toBe(200);
    const open = await t.db
      .select()
      .from(cardFlags)
      .where(and(eq(cardFlags.cardSerial, card.serial), isNull(cardFlags.resolvedAt)));
    expect(open).toEqual([]);
  });

  it('finishes a run killed halfway when applied again, with nobody created twice', async () => {
    const numbers = Array.from({ length: 7 }, (_, i) => `3000000${i}`);
    const csv = [
      header,
      ...numbers.map(
        (n, i) => `${n},Halfway,Person${i},1990-01-0${i + 1},,RWG01,R8001,2026-01-05,`,
      ),
    ].join('\n');
    const view = await dryRun(csv);
    expect(view.planned).toEqual({ create: 7 });
    // Started, one batch of 3 applied, then the process dies in the middle of the next batch:
    // its transaction never commits.
    const { startImportApply } = await import(
      '../../server/services/imports/apply-import-batch.ts'
    );
    const ctx = {
      ...t.ctx,
      actor: { accountId: await managerId(), username: 'manager', roles: [], permissions: [] },
    };
    await startImportApply(ctx, view.id);
    await applyImportBatch(t.ctx, view.id, 3);
    await expect(
      withTransaction(t.ctx, async (tx) => {
        await applyImportBatch(tx, view.id, 3);
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    const half = (await (
      await t.app.request(`/api/esr-imports/${view.id}`, { headers: manager.headers })
    ).json()) as ImportView;
    expect(half).toMatchObject({ status: 'applying', done: 3 });
    const done = await applied(view.id);
    expect(done).toMatchObject({ status: 'applied', done: 7, outcomes: { created: 7 } });
    const made = await t.db
      .select({ n: people.employeeNumber })
      .from(people)
      .where(inArray(people.employeeNumber, numbers));
    expect(made.map((m) => m.n).sort()).toEqual(numbers);
  });

  // Two connections at once: PostgreSQL only (PGlite has one, so nothing can commit between).
  if (driver === 'postgres') {
    it('leaves alone a row whose employee number another transaction put on record while the batch ran', async () => {
      const csv = `${header}\n80000001,Racer,Rita,1990-01-01,,RWG01,R8001,2026-01-05,\n80000002,Racer,Ray,1990-01-02,,RWG01,R8001,2026-01-05,\n`;
      const view = await dryRun(csv);
      expect(view.planned).toEqual({ create: 2 });
      const { startImportApply } = await import(
        '../../server/services/imports/apply-import-batch.ts'
      );
      const ctx = {
        ...t.ctx,
        actor: { accountId: await managerId(), username: 'manager', roles: [], permissions: [] },
      };
      await startImportApply(ctx, view.id);
      let batch: Promise<unknown> | undefined;
      await t.db.transaction(async (other) => {
        const now = new Date();
        await other.insert(people).values({
          userId: '900000000001',
          givenName: 'Rita',
          familyName: 'Racer',
          dateOfBirth: '1990-01-01',
          employeeNumber: '80000001',
          givenKey: 'rita',
          familyKey: 'racer',
          familyGivenKey: 'racer rita',
          givenFamilyKey: 'rita racer',
          createdAt: now,
          updatedAt: now,
        });
        // The batch plans Rita as new (the insert above is not committed), then waits on it.
        batch = applyImportBatch(t.ctx, view.id);
        await waitFor(async () => {
          const [w] = (await t.db.execute(
            sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
          )) as unknown as { n: number }[];
          return (w?.n ?? 0) > 0;
        }, 'the batch waiting on the uncommitted employee number');
      });
      await batch;
      const rows = await rowsOf(view.id);
      expect(rows.find((r) => r.key === '80000001')).toMatchObject({
        outcome: 'unchanged',
        outcomeMessage:
          'Employee number 80000001 was put on record while this import ran: import the file again to bring it up to date.',
      });
      expect(rows.find((r) => r.key === '80000002')?.outcome).toBe('created');
      const made = await t.db
        .select({ n: people.employeeNumber })
        .from(people)
        .where(inArray(people.employeeNumber, ['80000001', '80000002']));
      expect(made.map((m) => m.n).sort()).toEqual(['80000001', '80000002']);
    });
  }

  async function managerId() {
    const res = await t.app.request('/api/me', { headers: manager.headers });
    return ((await res.json()) as { account: { id: string } }).account.id;
  }

  it('refuses a wrong header, a file not in UTF-8 and a file too large, each saying why, and keeps nothing', async () => {
    const countImports = async () =>
      (await t.db.execute(sql`select count(*)::int as n from imports`)) as unknown;
    const before = JSON.stringify(await countImports());
    const wrong = await upload(manager, 'staff_id,surname,forename\n1,A,B\n');
    expect(wrong.status).toBe(400);
    const body = (await wrong.json()) as {
      error: { message: string; details: { field: string }[] };
    };
    expect(body.error.message).toContain(`Line 1 must be the header ${header}`);
    expect(body.error.message).toContain('missing employee_number');
    expect(body.error.details[0]?.field).toBe('file');

    const latin1 = Buffer.concat([
      Buffer.from(`${header}\n40000001,Ok,Fine,1990-01-01,,RWG01,R8001,2026-01-05,\n40000002,`),
      Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]), // "Müller" in Latin-1
      Buffer.from(',Jan,1990-01-01,,RWG01,R8001,2026-01-05,\n'),
    ]);
    const bad = await t.app.request('/api/esr-imports', {
      method: 'POST',
      headers: { ...manager.headers, 'content-type': 'text/csv' },
      body: latin1,
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /^The file is not UTF-8 text: line 3 holds bytes/,
    );

    // 200 MB announced: refused before a byte is read.
    const huge = await upload(manager, 'x', { 'content-length': String(200 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { message: string } }).error.message).toContain(
      'larger than 1 MiB',
    );
    // Streamed with no length: refused as the count passes the limit.
    let sent = 0;
    const chunk = new TextEncoder().encode(
      `${Array.from({ length: 1000 }, (_, i) => `5${String(i).padStart(7, '0')},Stream,Sam,1990-01-01,,ZZZ99,R8001,2026-01-05,`).join('\n')}\n`,
    );
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`${header}\n`));
      },
      pull(c) {
        if (sent > 3 * 1024 * 1024) c.close();
        else {
          sent += chunk.length;
          c.enqueue(chunk);
        }
      },
    });
    const streamed = await upload(manager, stream);
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(2 * 1024 * 1024);
    expect(JSON.stringify(await countImports())).toBe(before);
  });

  it('names the line of a row the records refuse only when it is applied', async () => {
    const made = await post(t, manager, '/api/positions', {
      odsCode: 'RWG02',
      name: 'Records manager (closes before the import is applied)',
      jobRoles: ['R8013'],
      activities: [],
      workgroupIds: [],
      systems: [],
      assignable: false,
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const position = (await made.json()) as { id: string };
    const csv = `${header}\n61000001,Later,Lou,1990-01-01,,RWG02,R8013,2026-01-05,\n`;
    const view = await dryRun(csv);
    expect(view.planned).toEqual({ create: 1 });
    const closed = await post(t, manager, `/api/positions/${position.id}/close`, {
      reason: 'Merged into another position',
    });
    expect(closed.status, await closed.clone().text()).toBe(200);
    expect((await applied(view.id)).outcomes).toEqual({ refused: 1 });
    const [row] = await rowsOf(view.id);
    expect(row?.outcomeMessage).toMatch(
      /^Line 2: no open position at RWG02 carries job role R8013 /,
    );
  });

  it('is for RA managers and advanced agents only, each within their own organisations', async () => {
    const csv = `${header}\n60000001,Scope,Sid,1990-01-01,,RWG01,R8001,2026-01-05,\n`;
    for (const name of ['agent', 'sponsor', 'lsa', 'idchecker', 'staff']) {
      const who = await t.login(name);
      expect((await upload(who, csv)).status, name).toBe(403);
    }
    const advanced = await t.login('advanced');
    const view = await dryRun(csv, advanced);
    expect(view.planned).toEqual({ create: 1 });
    // Another trust's manager: the rows are refused, and our import is not theirs to see.
    const theirs = await dryRun(csv, rxx.manager);
    expect(theirs.planned).toEqual({ refuse: 1 });
    const peek = await t.app.request(`/api/esr-imports/${view.id}`, {
      headers: rxx.manager.headers,
    });
    expect(peek.status).toBe(404);
    const apply = await post(t, rxx.manager, `/api/esr-imports/${view.id}/apply`);
    expect(apply.status).toBe(404);
  });

  it('cancels cards from a list: a dry run card by card, then each card’s result', async () => {
    const idchecker = await t.login('idchecker');
    const holder = await registerActivePerson(t, idchecker, {
      givenName: 'Cato',
      familyName: 'Lister',
      dateOfBirth: '1980-03-03',
    });
    const a = await createCard(t, { state: 'active', personId: holder.id });
    const b = await createCard(t, { state: 'blocked', personId: holder.id });
    const stock = await createCard(t, { state: 'in_stock', personId: null });
    const text = [a.serial, b.serial, stock.serial, 'NO-SUCH-CARD', a.serial].join('\n');
    const agent = await t.login('agent');
    const refused = await post(t, agent, '/api/card-cancellations', { text, reason: 'left' });
    expect(refused.status).toBe(403);
    const res = await post(t, manager, '/api/card-cancellations', { text, reason: 'left' });
    expect(res.status, await res.clone().text()).toBe(201);
    const view = (await res.json()) as ImportView;
    expect(view.planned).toEqual({ cancel: 2, refuse: 3 });
    const rowsRes = await t.app.request(`/api/card-cancellations/${view.id}/rows`, {
      headers: manager.headers,
    });
    const rows = ((await rowsRes.json()) as { items: Row[] }).items;
    expect(rows.map((r) => [r.line, r.plan])).toEqual([
      [1, 'cancel'],
      [2, 'cancel'],
      [3, 'refuse'],
      [4, 'refuse'],
      [5, 'refuse'],
    ]);
    expect(line(rows, 4).message).toBe('No card has the serial NO-SUCH-CARD, or none you may see.');
    expect(line(rows, 5).message).toBe('The serial is also on line 1.');
    const apply = await post(t, manager, `/api/card-cancellations/${view.id}/apply`);
    expect(apply.status).toBe(202);
    await waitFor(async () => {
      const got = await t.app.request(`/api/card-cancellations/${view.id}`, {
        headers: manager.headers,
      });
      return ((await got.json()) as ImportView).status === 'applied';
    }, 'cancellations applied');
    const after = (
      (await (
        await t.app.request(`/api/card-cancellations/${view.id}/rows`, { headers: manager.headers })
      ).json()) as { items: Row[] }
    ).items;
    expect(after.map((r) => r.outcome)).toEqual([
      'cancelled',
      'cancelled',
      'refused',
      'refused',
      'refused',
    ]);
    const states = await t.db
      .select({ serial: cards.serial, state: cards.state, reason: cards.stateReason })
      .from(cards)
      .where(inArray(cards.serial, [a.serial, b.serial, stock.serial]));
    expect(Object.fromEntries(states.map((s) => [s.serial, [s.state, s.reason]]))).toEqual({
      [a.serial]: ['cancelled', 'left'],
      [b.serial]: ['cancelled', 'left'],
      [stock.serial]: ['in_stock', null],
    });
  });
});
