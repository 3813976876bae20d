import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, positions } from '../../db/schema/access.ts';
import { auditEvents } from '../../db/schema/audit.ts';
import { importRows, imports } from '../../db/schema/imports.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { people } from '../../db/schema/people.ts';
import type { Permission } from '../../server/permissions/permissions.ts';
import { rolePermissions } from '../../server/permissions/permissions.ts';
import { testDrivers } from '../support/databases.ts';
import { encodeForUrl, hostileStrings } from '../support/hostile-values.ts';
import { activated, secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * An attack on issue 12's routes: reports and their CSV downloads, ESR imports and card
 * cancellation lists, background job runs, notifications. Every role against every route,
 * another trust's ids, hostile text in filters, file names, cells and ids, malformed CSV
 * mid-stream, and (on PostgreSQL) twenty callers at once.
 */
const header =
  'employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date';

interface ImportView {
  id: string;
  status: string;
  rowCount: number;
  planned: Record<string, number>;
  done: number;
  outcomes: Record<string, number>;
}

const reportNames = [
  'cards-by-state',
  'expiring-by-week',
  'requests-by-month',
  'unlocks-by-month',
  'system-access',
  'positions-ending',
];

function upload(t: TestApp, who: SignedIn, csv: BodyInit, fileName = 'attack.csv') {
  return t.app.request(`/api/esr-imports?fileName=${encodeForUrl(fileName)}`, {
    method: 'POST',
    headers: { ...who.headers, 'content-type': 'text/csv' },
    body: csv,
    ...(typeof csv === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
}

describe.each(testDrivers)('attack on issue 12 routes (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let rxx: Trust;

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { ESR_IMPORT_MAX_MB: '1' } });
    manager = await t.login('manager');
    rxx = await secondTrust(t);
  });
  afterAll(() => t.close());

  /** Every route of the issue, with the permission it needs. */
  const routes = (): { method: string; path: string; needs: Permission | 'authenticated' }[] => [
    { method: 'GET', path: '/api/reports', needs: 'reports:read' },
    ...reportNames.flatMap((n) => [
      { method: 'GET', path: `/api/reports/${n}`, needs: 'reports:read' as const },
      { method: 'GET', path: `/api/reports/${n}.csv`, needs: 'reports:read' as const },
    ]),
    { method: 'GET', path: '/api/esr-imports', needs: 'people:import' },
    { method: 'GET', path: `/api/esr-imports/${rxx.records.esrImport}`, needs: 'people:import' },
    {
      method: 'GET',
      path: `/api/esr-imports/${rxx.records.esrImport}/rows`,
      needs: 'people:import',
    },
    { method: 'GET', path: '/api/card-cancellations', needs: 'cards:cancel-batch' },
    {
      method: 'GET',
      path: `/api/card-cancellations/${rxx.records.cardCancellation}`,
      needs: 'cards:cancel-batch',
    },
    { method: 'GET', path: '/api/background/runs', needs: 'background-jobs:manage' },
    {
      method: 'POST',
      path: '/api/background/jobs/purge-old-records/runs',
      needs: 'background-jobs:manage',
    },
    { method: 'POST', path: '/api/esr-imports', needs: 'people:import' },
    { method: 'POST', path: '/api/card-cancellations', needs: 'cards:cancel-batch' },
    {
      method: 'POST',
      path: `/api/esr-imports/${rxx.records.esrImport}/apply`,
      needs: 'people:import',
    },
    {
      method: 'GET',
      path: `/api/people/${rxx.records.person}/notifications`,
      needs: 'people:read',
    },
    { method: 'GET', path: '/api/me/notifications', needs: 'authenticated' },
  ];

  it('answers 401 to every route without a session, and changes nothing', async () => {
    for (const r of routes()) {
      const res = await t.app.request(r.path, {
        method: r.method,
        headers: {
          'content-type': r.path.endsWith('esr-imports') ? 'text/csv' : 'application/json',
        },
        body: r.method === 'POST' ? `${header}\n` : undefined,
      });
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
    }
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, rxx.records.esrImport));
    expect(imp?.status).toBe('checked');
  });

  it('refuses a POST without the CSRF token, or from another site, before doing anything', async () => {
    const before = (await t.db.select({ n: sql<number>`count(*)::int` }).from(imports))[0]?.n;
    for (const r of routes().filter((x) => x.method === 'POST')) {
      for (const headers of <Record<string, string>[]>[
        { cookie: rxx.manager.cookie },
        { ...rxx.manager.headers, origin: 'https://evil.example' },
        { ...rxx.manager.headers, 'sec-fetch-site': 'cross-site' },
      ]) {
        const res = await t.app.request(r.path, {
          method: 'POST',
          headers: {
            ...headers,
            'content-type': r.path.endsWith('esr-imports') ? 'text/csv' : 'application/json',
          },
          body: r.path.endsWith('esr-imports')
            ? `${header}\n70000009,Csrf,Carl,1990-01-01,,RXX01,R8010,2026-01-05,\n`
            : JSON.stringify({ text: 'X', reason: 'damaged' }),
        });
        expect(res.status, `${r.path} ${JSON.stringify(Object.keys(headers))}`).toBe(403);
      }
    }
    const after = (await t.db.select({ n: sql<number>`count(*)::int` }).from(imports))[0]?.n;
    expect(after).toBe(before);
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, rxx.records.esrImport));
    expect(imp?.status).toBe('checked');
  });

  it('denies every role a route its permissions do not give (403), never a 500', async () => {
    for (const { role, who } of rxx.callers) {
      const has = rolePermissions[role];
      for (const r of routes()) {
        if (r.needs === 'authenticated' || has.includes(r.needs)) continue;
        if (r.path.endsWith('/apply')) continue; // applied by its maker below, not by a denied role
        const res = await t.app.request(r.path, {
          method: r.method,
          headers: {
            ...who.headers,
            'content-type': r.path.endsWith('esr-imports') ? 'text/csv' : 'application/json',
          },
          body:
            r.method !== 'POST'
              ? undefined
              : r.path.endsWith('esr-imports')
                ? `${header}\n`
                : JSON.stringify({ text: 'X', reason: 'damaged' }),
        });
        expect(res.status, `${role} ${r.method} ${r.path}`).toBe(403);
      }
      if (!has.includes('people:import')) {
        const apply = await t.app.request(`/api/esr-imports/${rxx.records.esrImport}/apply`, {
          method: 'POST',
          headers: who.headers,
        });
        expect(apply.status, role).toBe(403);
      }
    }
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, rxx.records.esrImport));
    expect(imp?.status).toBe('checked');
  });

  it("hides one trust's imports, rows and applies from another trust's manager", async () => {
    // The demo's manager (RWG) against RXX's import and list.
    const rwg = manager;
    for (const base of ['/api/esr-imports', '/api/card-cancellations']) {
      const id = base === '/api/esr-imports' ? rxx.records.esrImport : rxx.records.cardCancellation;
      for (const path of [`${base}/${id}`, `${base}/${id}/rows`]) {
        const res = await t.app.request(path, { headers: rwg.headers });
        expect(res.status, path).toBe(404);
        expect(await res.text()).not.toContain('Importcase');
      }
      const list = await t.app.request(base, { headers: rwg.headers });
      expect(list.status).toBe(200);
      expect(
        ((await list.json()) as { items: { id: string }[] }).items.map((i) => i.id),
      ).not.toContain(id);
      const apply = await t.app.request(`${base}/${id}/apply`, {
        method: 'POST',
        headers: rwg.headers,
      });
      expect(apply.status, `${base} apply`).toBe(404);
      // The wrong kind's route does not find it either.
      const other = base === '/api/esr-imports' ? '/api/card-cancellations' : '/api/esr-imports';
      const crossed = await t.app.request(`${other}/${id}`, { headers: rxx.manager.headers });
      expect(crossed.status).toBe(404);
    }
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, rxx.records.esrImport));
    expect(imp?.status).toBe('checked');
  });

  it("shows a trust's manager only its own rows of a national manager's import", async () => {
    const national = await activated(t, 'national.manager', 'ra_manager', null);
    const res = await upload(
      t,
      national,
      `${header}\n70000051,Westcase,Wendy,1991-03-04,wendy.westcase@rwg.example,RWG01,R8001,2026-01-05,\n70000052,Crosscase,Colin,1992-05-06,,RXX01,R8010,2026-01-05,\n`,
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const { id, planned } = (await res.json()) as ImportView;
    expect(planned.create).toBe(2);
    const view = await t.app.request(`/api/esr-imports/${id}`, { headers: rxx.manager.headers });
    expect(view.status).toBe(200);
    const rows = await t.app.request(`/api/esr-imports/${id}/rows`, {
      headers: rxx.manager.headers,
    });
    expect(rows.status).toBe(200);
    const text = await rows.text();
    expect(text).toContain('Crosscase');
    for (const secret of ['Westcase', 'Wendy', '1991-03-04', 'wendy.westcase']) {
      expect(text).not.toContain(secret);
    }
    // Nor may they apply it: re-planned as them, the other trust's row would be refused.
    const apply = await t.app.request(`/api/esr-imports/${id}/apply`, {
      method: 'POST',
      headers: rxx.manager.headers,
    });
    expect(apply.status, await apply.clone().text()).toBe(403);
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, id));
    expect(imp?.status).toBe('checked');
  });

  it("will not cancel another trust's card, nor say it exists", async () => {
    const [theirs] = rxx.records.flaggedSerials;
    const res = await t.app.request('/api/card-cancellations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({
        text: `serial\n${theirs}\nNO-SUCH-CARD-ANYWHERE\n${theirs?.toUpperCase()}`,
        reason: 'damaged',
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const view = (await res.json()) as ImportView;
    expect(view.planned).toEqual({ refuse: 3 });
    const rows = await t.app.request(`/api/card-cancellations/${view.id}/rows`, {
      headers: manager.headers,
    });
    const items = ((await rows.json()) as { items: { message: string; personId: string | null }[] })
      .items;
    expect(items[0]?.message).toBe(
      items[1]?.message.replace('NO-SUCH-CARD-ANYWHERE', theirs as string),
    );
    expect(items.map((i) => i.personId)).toEqual([null, null, null]);
    const apply = await t.app.request(`/api/card-cancellations/${view.id}/apply`, {
      method: 'POST',
      headers: manager.headers,
    });
    expect(apply.status).toBe(202);
    await waitFor(async () => {
      const [imp] = await t.db.select().from(imports).where(eq(imports.id, view.id));
      return imp?.status === 'applied';
    }, 'the list applied');
    const card = await t.app.request(`/api/cards/${theirs}`, { headers: rxx.manager.headers });
    expect(((await card.json()) as { state: string }).state).toBe('active');
  });

  it("refuses an import that names another trust's organisation, row by row", async () => {
    const res = await upload(
      t,
      rxx.manager,
      `${header}\n70000031,Intruder,Ivan,1990-01-01,,RWG01,R8001,2026-01-05,\n`,
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const view = (await res.json()) as ImportView;
    expect(view.planned.refuse).toBe(1);
    expect(view.planned.create ?? 0).toBe(0);
  });

  it("keeps a sponsor to their organisation's reports and another trust's people from notifications", async () => {
    const sponsor = rxx.callers.find((c) => c.role === 'sponsor')?.who as SignedIn;
    for (const name of reportNames) {
      for (const suffix of ['', '.csv']) {
        const res = await t.app.request(`/api/reports/${name}${suffix}?organisation=RWG`, {
          headers: sponsor.headers,
        });
        expect(res.status, `${name}${suffix}`).toBe(403);
        const mine = await t.app.request(`/api/reports/${name}${suffix}?organisation=RWG01`, {
          headers: rxx.manager.headers,
        });
        expect(mine.status, `manager ${name}${suffix}`).toBe(403);
      }
    }
    const options = await t.app.request('/api/reports', { headers: sponsor.headers });
    const orgs = ((await options.json()) as { organisations: { odsCode: string }[] }).organisations;
    expect(orgs.map((o) => o.odsCode)).toEqual(['RXX01']);
    const notes = await t.app.request(`/api/people/${rxx.records.person}/notifications`, {
      headers: manager.headers,
    });
    expect([403, 404]).toContain(notes.status);
  });

  it('answers hostile filters, ids and job names with 4xx, never a 500', async () => {
    const paths: string[] = [];
    for (const s of hostileStrings) {
      const v = encodeForUrl(s);
      for (const name of reportNames) {
        paths.push(`/api/reports/${name}?organisation=${v}`);
        paths.push(`/api/reports/${name}.csv?from=${v}&to=${v}`);
      }
      paths.push(`/api/reports/${v}`, `/api/reports/${v}.csv`);
      paths.push(`/api/esr-imports/${v}`, `/api/esr-imports/${v}/rows`);
      paths.push(`/api/esr-imports/${rxx.records.esrImport}/rows?plan=${v}&afterLine=${v}`);
      paths.push(`/api/card-cancellations/${v}`);
      paths.push(`/api/background/runs?job=${v}&limit=${v}`, `/api/background/runs?job=${v}`);
      paths.push(`/api/people/${v}/notifications`);
    }
    paths.push('/api/reports/expiring-by-week?from=2026-12-01&to=2026-01-01');
    paths.push('/api/reports/requests-by-month?from=1900-01-01&to=2999-12-31');
    paths.push(
      `/api/reports/cards-by-state?${Array.from({ length: 30 }, () => 'organisation=RWG').join('&')}`,
    );
    paths.push(
      '/api/esr-imports/00000000-0000-4000-8000-000000000000/rows?afterLine=99999999999999999999',
    );
    for (const path of paths) {
      const res = await t.app.request(path, { headers: rxx.manager.headers });
      expect(res.status, path).toBeLessThan(500);
      if (res.status >= 400) expect(res.headers.get('content-type'), path).toMatch(/json/);
      else await res.arrayBuffer();
    }
    for (const s of hostileStrings) {
      const res = await t.app.request(`/api/background/jobs/${encodeForUrl(s)}/runs`, {
        method: 'POST',
        headers: rxx.manager.headers,
      });
      expect(res.status, JSON.stringify(s.slice(0, 20))).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(s.slice(0, 20))).toBeLessThan(500);
    }
    const byHand = await t.app.request('/api/background/jobs/import-apply/runs', {
      method: 'POST',
      headers: rxx.manager.headers,
    });
    expect(byHand.status).toBe(409);
  });

  it('takes hostile file names and cells as text, never a 500, and refuses what is not text', async () => {
    for (const s of hostileStrings) {
      const res = await upload(
        t,
        rxx.manager,
        `${header}\n70000041,"${s.slice(0, 300).replaceAll('"', '""')}",Ann,1990-01-01,,RXX01,R8010,2026-01-05,\n`,
      );
      expect(res.status, JSON.stringify(s.slice(0, 20))).toBeLessThan(500);
      const named = await upload(t, rxx.manager, `${header}\n`, s || 'x');
      expect(named.status, JSON.stringify(s.slice(0, 20))).toBeLessThan(500);
      const list = await t.app.request('/api/card-cancellations', {
        method: 'POST',
        headers: rxx.manager.headers,
        body: JSON.stringify({ fileName: s || 'x', text: `${s}\nNO-SUCH`, reason: 'damaged' }),
      });
      expect(list.status, JSON.stringify(s.slice(0, 20))).toBeLessThan(500);
    }
  });

  it("lists a trust's own imports however many other trusts made since", async () => {
    for (let i = 0; i < 101; i++) {
      t.clock.advance(1000);
      const res = await t.app.request('/api/card-cancellations', {
        method: 'POST',
        headers: manager.headers,
        body: JSON.stringify({ fileName: `rwg-${i}`, text: `NO-SUCH-${i}`, reason: 'damaged' }),
      });
      expect(res.status).toBe(201);
    }
    const list = await t.app.request('/api/card-cancellations', {
      headers: rxx.manager.headers,
    });
    const { items } = (await list.json()) as { items: { id: string }[] };
    expect(items.map((i) => i.id)).toContain(rxx.records.cardCancellation);
  });

  it('answers an upload in another content type, or none, with a 4xx', async () => {
    for (const [type, body] of [
      ['application/json', '{"employee_number":"1"}'],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n${header}\r\n--x--`,
      ],
      ['application/octet-stream', '\u0000\u0001\u0002'],
      ['text/csv; charset=utf-16', header],
      ['', ''],
    ] as const) {
      const headers: Record<string, string> = { ...rxx.manager.headers };
      if (type) headers['content-type'] = type;
      else delete headers['content-type'];
      const res = await t.app.request('/api/esr-imports?fileName=x.csv', {
        method: 'POST',
        headers,
        body,
      });
      expect(res.status, `${type}: ${await res.clone().text()}`).toBeGreaterThanOrEqual(400);
      expect(res.status, type).toBeLessThan(500);
    }
  });

  it("shows a sponsor's reports only their organisation's figures", async () => {
    const sponsor = rxx.callers.find((c) => c.role === 'sponsor')?.who as SignedIn;
    const res = await t.app.request('/api/reports/cards-by-state', { headers: sponsor.headers });
    expect(res.status).toBe(200);
    const { rows } = (await res.json()) as { rows: { odsCode: string }[] };
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.odsCode))).toEqual(new Set(['RXX01']));
    const trust = await t.app.request('/api/reports/cards-by-state?organisation=RXX', {
      headers: sponsor.headers,
    });
    expect(trust.status).toBe(403);
  });

  it('refuses a CSV broken mid-stream whole, leaving nothing behind', async () => {
    const before = (await t.db.select({ n: sql<number>`count(*)::int` }).from(imports))[0]?.n;
    const good = `${header}\n${Array.from({ length: 300 }, (_, i) => `7100${String(i).padStart(4, '0')},Stream,Sam,1990-01-01,,RXX01,R8010,2026-01-05,`).join('\n')}\n`;
    const encoder = new TextEncoder();
    const broken: Uint8Array[][] = [
      // an unterminated quote
      [
        encoder.encode(good),
        encoder.encode('71009999,"Unclosed,Sam,1990-01-01,,RXX01,R8010,2026-01-05,\n'),
      ],
      // bytes that are no UTF-8
      [encoder.encode(good), new Uint8Array([0x37, 0x31, 0x2c, 0xff, 0xfe, 0xc3, 0x28, 0x0a])],
    ];
    for (const [i, chunks] of broken.entries()) {
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      });
      const res = await upload(t, rxx.manager, stream);
      expect(res.status, `case ${i}: ${await res.clone().text()}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    // A NUL in a cell (PostgreSQL stores none), and a UTF-16 file without its byte order mark.
    for (const body of [
      `${header}\n70000042,"Xylo\u0000",Ann,1990-01-01,,RXX01,R8010,2026-01-05,\n`,
      Buffer.from(`${header}\n70000043,Wide,Ann,1990-01-01,,RXX01,R8010,2026-01-05,\n`, 'utf16le'),
    ]) {
      const res = await upload(t, rxx.manager, body);
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(text).toMatch(/NUL/);
    }
    // A stream that fails halfway (the client went away).
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(encoder.encode(good));
        } else controller.error(new Error('connection reset'));
      },
    });
    const res = await upload(t, rxx.manager, failing);
    expect(res.status, await res.clone().text()).toBe(400);
    const after = (await t.db.select({ n: sql<number>`count(*)::int` }).from(imports))[0]?.n;
    expect(after).toBe(before);
    // A row with too many cells is that row's refusal, the rest of the file planned.
    const extra = await upload(
      t,
      rxx.manager,
      `${good}71009998,A,B,1990-01-01,,RXX01,R8010,2026-01-05,,,extra\n`,
    );
    expect(extra.status).toBe(201);
    const { id } = (await extra.json()) as ImportView;
    const rows = await t.app.request(`/api/esr-imports/${id}/rows?plan=refuse`, {
      headers: rxx.manager.headers,
    });
    const refused = ((await rows.json()) as { items: { line: number }[] }).items;
    expect(refused.map((r) => r.line)).toEqual([302]);
  });

  it('downloads CSV whose cells never start a formula, with the file as the database has it', async () => {
    const formulas: string[] = [
      "=cmd|' /C calc'!A0",
      '+1+1',
      '-2+3',
      '@SUM(A1)',
      '\t=1+1',
      '\r=1+1',
    ];
    // The trust's site, its person and their position named as formulas, the position ending
    // within the report's period, and their card counted by state.
    const [site, given, family, position] = formulas;
    await t.db
      .update(organisations)
      .set({ name: site as string })
      .where(eq(organisations.odsCode, 'RXX01'));
    await t.db
      .update(people)
      .set({ givenName: given as string, familyName: family as string })
      .where(eq(people.id, rxx.records.person));
    const [held] = await t.db
      .update(assignments)
      .set({ endDate: t.clock.now().toISOString().slice(0, 10) })
      .where(eq(assignments.id, rxx.records.assignment))
      .returning({ positionId: assignments.positionId });
    await t.db
      .update(positions)
      .set({ name: position as string })
      .where(eq(positions.id, held?.positionId as string));
    const res = await t.app.request('/api/reports/cards-by-state.csv', {
      headers: rxx.manager.headers,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[\w.-]+"$/);
    const text = await res.text();
    expect(text).toContain(`'${site}`);
    assertNoFormula(text);
    const ending = await t.app.request('/api/reports/positions-ending.csv', {
      headers: rxx.manager.headers,
    });
    expect(ending.status).toBe(200);
    const endingText = await ending.text();
    for (const f of [site, position]) expect(endingText).toContain(`'${f}`);
    expect(endingText).toMatch(/'(\+1\+1|-2\+3)/);
    assertNoFormula(endingText);
    for (const name of reportNames) {
      const other = await t.app.request(`/api/reports/${name}.csv`, {
        headers: rxx.manager.headers,
      });
      expect(other.status).toBe(200);
      assertNoFormula(await other.text());
    }
  });

  function assertNoFormula(csv: string) {
    // Every cell, quoted or not, after the byte order mark.
    const cells = csv
      .replace(/^\uFEFF/, '')
      .split('\r\n')
      .flatMap((line) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g) ?? [])
      .map((c) =>
        c
          .replace(/,$/, '')
          .replace(/^"(.*)"$/s, '$1')
          .replaceAll('""', '"'),
      );
    for (const cell of cells) expect(cell, cell).not.toMatch(/^[=+@\t\r]|^-[^\d]/);
  }
});

describe.runIf(process.env.TEST_DATABASE_URL)('twenty callers at once (postgres)', () => {
  let t: TestApp;
  let rxx: Trust;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    rxx = await secondTrust(t);
  });
  afterAll(() => t.close());

  it('applies one import once when twenty apply it together: no duplicate people', async () => {
    const rows = Array.from(
      { length: 50 },
      (_, i) =>
        `7200${String(i).padStart(4, '0')},Racer,Rita${i},1990-01-01,,RXX01,R8010,2026-01-05,`,
    );
    const res = await upload(t, rxx.manager, `${header}\n${rows.join('\n')}\n`);
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as ImportView;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.request(`/api/esr-imports/${id}/apply`, {
          method: 'POST',
          headers: rxx.manager.headers,
        }),
      ),
    );
    // Applying an import already applying resumes it (202) by design; none may be a 500.
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 202 && s !== 409)).toEqual([]);
    await waitFor(async () => {
      const [imp] = await t.db.select().from(imports).where(eq(imports.id, id));
      return imp?.status === 'applied';
    }, 'the import applied');
    const [n] = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(people)
      .where(eq(people.familyName, 'Racer'));
    expect(n?.n).toBe(50);
    const outcomes = await t.db
      .select({ outcome: importRows.outcome, n: sql<number>`count(*)::int` })
      .from(importRows)
      .where(eq(importRows.importId, id))
      .groupBy(importRows.outcome);
    expect(outcomes).toEqual([{ outcome: 'created', n: 50 }]);
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, id));
    expect(imp?.done).toBe(50);
    expect(imp?.outcomes).toEqual({ created: 50 });
    // Applying the same file again changes nothing.
    const again = await upload(t, rxx.manager, `${header}\n${rows.join('\n')}\n`);
    const view = (await again.json()) as ImportView;
    expect(view.planned.unchanged).toBe(50);
  });

  it('cancels a list once when twenty apply it together', async () => {
    const [theirs] = rxx.records.flaggedSerials;
    const res = await t.app.request('/api/card-cancellations', {
      method: 'POST',
      headers: rxx.manager.headers,
      body: JSON.stringify({ text: theirs, reason: 'damaged' }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id, planned } = (await res.json()) as ImportView;
    expect(planned).toEqual({ cancel: 1 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.request(`/api/card-cancellations/${id}/apply`, {
          method: 'POST',
          headers: rxx.manager.headers,
        }),
      ),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 202 && s !== 409)).toEqual([]);
    await waitFor(async () => {
      const [imp] = await t.db.select().from(imports).where(eq(imports.id, id));
      return imp?.status === 'applied';
    }, 'the list applied');
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, id));
    expect(imp?.outcomes).toEqual({ cancelled: 1 });
    // One cancellation of the card in the audit trail, however many applied.
    const events = await t.db
      .select({ action: auditEvents.action, type: auditEvents.subjectType })
      .from(auditEvents)
      .where(and(like(auditEvents.action, 'card.%'), like(auditEvents.action, '%cancel%')));
    expect(events).toHaveLength(1);
  });

  it('takes twenty uploads at once, each its own dry run', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        upload(
          t,
          rxx.manager,
          `${header}\n7300${String(i).padStart(4, '0')},Many,Max,1990-01-01,,RXX01,R8010,2026-01-05,\n`,
          `many-${i}.csv`,
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = new Set(
      await Promise.all(results.map(async (r) => ((await r.json()) as ImportView).id)),
    );
    expect(ids.size).toBe(20);
  });

  it('ends a position once when twenty run position expiry at once', async () => {
    await t.db
      .update(assignments)
      .set({ startDate: '2026-01-01', endDate: '2026-02-01' })
      .where(eq(assignments.id, rxx.records.assignment));
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.request('/api/background/jobs/position-expiry/runs', {
          method: 'POST',
          headers: rxx.manager.headers,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const runs = await Promise.all(
      results.map(async (r) => (await r.json()) as { counts: Record<string, number> | null }),
    );
    expect(runs.reduce((n, r) => n + (r.counts?.ended ?? 0), 0)).toBe(1);
  });

  it('runs a job twenty times at once without a 500, each run recorded', async () => {
    const listed = await t.app.request('/api/background/runs', { headers: rxx.manager.headers });
    const { jobs } = (await listed.json()) as { jobs: { name: string; runByHand: boolean }[] };
    const runnable = jobs.filter((j) => j.runByHand).map((j) => j.name);
    expect(runnable).toEqual(expect.arrayContaining(['expiry-scan', 'purge-old-records']));
    for (const job of runnable) {
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.app.request(`/api/background/jobs/${job}/runs`, {
            method: 'POST',
            headers: rxx.manager.headers,
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(
        statuses.filter((s) => s >= 500),
        `${job}: ${statuses}`,
      ).toEqual([]);
    }
    const runs = await t.app.request('/api/background/runs?limit=200', {
      headers: rxx.manager.headers,
    });
    expect(runs.status).toBe(200);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('twenty applies on the job queue (postgres)', () => {
  let t: TestApp;
  let rxx: Trust;
  beforeAll(async () => {
    t = await createTestApp('postgres', { queue: true });
    rxx = await secondTrust(t);
  });
  afterAll(() => t.close());

  it('apply one import once, whichever workers take the twenty jobs', async () => {
    const rows = Array.from(
      { length: 40 },
      (_, i) =>
        `7500${String(i).padStart(4, '0')},Queued,Quinn${i},1990-01-01,,RXX01,R8010,2026-01-05,`,
    );
    const res = await upload(t, rxx.manager, `${header}\n${rows.join('\n')}\n`);
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as ImportView;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.request(`/api/esr-imports/${id}/apply`, {
          method: 'POST',
          headers: rxx.manager.headers,
        }),
      ),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 202 && s !== 409)).toEqual([]);
    await waitFor(
      async () => {
        const [imp] = await t.db.select().from(imports).where(eq(imports.id, id));
        return imp?.status === 'applied';
      },
      'the import applied by the queue',
      30_000,
    );
    const [n] = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(people)
      .where(eq(people.familyName, 'Queued'));
    expect(n?.n).toBe(40);
    const [imp] = await t.db.select().from(imports).where(eq(imports.id, id));
    expect(imp?.outcomes).toEqual({ created: 40 });
  });
});
