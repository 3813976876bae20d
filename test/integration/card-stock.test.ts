import { readFileSync } from 'node:fs';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/audit.ts';
import { cards } from '../../db/schema/cards.ts';
import { defaultManagementKey } from '../../server/services/stock/import-lines.ts';
import { openTransportKey } from '../../server/services/stock/transport-key.ts';
import { testDrivers } from '../support/databases.ts';
import { secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const passphrase = 'card stock test passphrase 2026';
// Keys no answer, log line or audit event may ever hold, in either case.
const aes128 = '8899aabbccddeeff0011223344556677';
const aes256 = 'f0e1d2c3b4a5968778695a4b3c2d1e0f0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const des3 = '6a5b4c3d2e1f00116a5b4c3d2e1f00116a5b4c3d2e1f0011';
const secretKeys = [aes128, aes256, des3];

interface Location {
  id: string;
  name: string;
  organisation: { odsCode: string; name: string };
}
interface Problem {
  field: string;
  message: string;
  line?: number;
}
type Counts = Record<string, number>;
interface Stock {
  locations: { location: Location; counts: Counts; total: number }[];
  totals: Counts;
  organisations: { odsCode: string; name: string }[];
}

describe.each(testDrivers)('card stock (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let rxx: Trust;
  let safe: Location;
  let ward: Location;
  let theirs: Location;
  /** Every answer's body, for the check that none holds a management key. */
  const answers: string[] = [];

  async function call(who: SignedIn | null, method: string, path: string, body?: unknown) {
    const res = await t.app.request(path, {
      method,
      headers: who ? who.headers : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  const post = (who: SignedIn, path: string, body: unknown) => call(who, 'POST', path, body);
  const importCards = (who: SignedIn, body: Record<string, unknown>) =>
    post(who, '/api/card-stock/imports', { format: 'list', ...body });
  const stock = async (who: SignedIn = manager) =>
    (await call(who, 'GET', '/api/card-stock')).body as Stock;
  const cardsNamed = (serials: string[]) =>
    t.db.select().from(cards).where(inArray(cards.serial, serials));
  const events = (action: string) =>
    t.db.select().from(auditEvents).where(eq(auditEvents.action, action));

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    manager = await t.login('manager');
    rxx = await secondTrust(t);
  });
  afterAll(() => t.close());

  describe('locations', () => {
    it('adds a location to an organisation, its name new there whatever its case', async () => {
      const added = await post(manager, '/api/card-locations', {
        odsCode: 'RWG01',
        name: 'RA office safe',
      });
      expect(added.status).toBe(201);
      safe = added.body;
      expect(safe).toMatchObject({
        name: 'RA office safe',
        organisation: { odsCode: 'RWG01', name: expect.any(String) },
      });
      const again = await post(manager, '/api/card-locations', {
        odsCode: 'RWG01',
        name: 'ra OFFICE safe',
      });
      expect(again.status).toBe(409);
      expect(again.body.error.message).toBe(
        'RWG01 already has a card location called "ra OFFICE safe". Give this one another name.',
      );
      // Named by its field, so the form shows it beside Name.
      expect(again.body.error.details).toEqual([
        { field: 'name', message: again.body.error.message },
      ]);
      ward = (
        await post(manager, '/api/card-locations', { odsCode: 'RWG02', name: 'RA office safe' })
      ).body;
      expect(ward.organisation.odsCode).toBe('RWG02');
      const listed = await call(manager, 'GET', '/api/card-locations');
      expect(listed.body.items.map((l: Location) => [l.organisation.odsCode, l.name])).toEqual([
        ['RWG01', 'RA office safe'],
        ['RWG02', 'RA office safe'],
      ]);
      const [created] = await events('card.location_created');
      expect(created).toMatchObject({
        subjectType: 'card_location',
        subjectId: safe.id,
        summary: { location: 'RA office safe', odsCode: 'RWG01' },
      });
    });

    it('names every problem of a new location at once', async () => {
      const res = await post(manager, '/api/card-locations', { odsCode: 'rw', name: ' ' });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: Problem) => d.field)).toEqual(['odsCode', 'name']);
      const unknown = await post(manager, '/api/card-locations', {
        odsCode: 'ZZZ99',
        name: 'Safe',
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.details).toEqual([
        { field: 'odsCode', message: 'is not a known ODS code' },
      ]);
    });

    it("keeps another trust's locations apart: not listed, not counted, not added to", async () => {
      const made = await post(rxx.manager, '/api/card-locations', {
        odsCode: 'RXX01',
        name: 'Crossfield store',
      });
      expect(made.status).toBe(201);
      theirs = made.body;
      const mine = await call(manager, 'GET', '/api/card-locations');
      expect(mine.body.items.map((l: Location) => l.id)).not.toContain(theirs.id);
      const theirList = await call(rxx.manager, 'GET', '/api/card-locations');
      expect(theirList.body.items.map((l: Location) => l.id)).toEqual([theirs.id]);
      const refused = await post(rxx.manager, '/api/card-locations', {
        odsCode: 'RWG01',
        name: 'Borrowed shelf',
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toBe(
        'You manage card stock for RXX, RXX01 only, and RWG01 is not one of them. Ask an RA manager of RWG01.',
      );
    });
  });

  describe('imports', () => {
    it('imports a pasted list: each card in stock at the location, its key sealed, one audit event', async () => {
      const res = await importCards(manager, {
        locationId: safe.id,
        text: `STOCK-0001\nSTOCK-0002, ${aes128.toUpperCase()}\n\nSTOCK-0003 ${aes256}\n`,
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        imported: 3,
        location: expect.objectContaining({ id: safe.id, name: 'RA office safe' }),
        rejected: [],
      });
      const rows = await cardsNamed(['STOCK-0001', 'STOCK-0002', 'STOCK-0003']);
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row).toMatchObject({
          state: 'in_stock',
          locationId: safe.id,
          personId: null,
          cardType: 'PIV',
          stateChangedAt: t.clock.now(),
          createdAt: t.clock.now(),
        });
        expect(row.encryptedTransportKey).toMatch(/^sb1\./);
      }
      // Sealed under the passphrase, bound to its card: it opens to the key the line gave.
      const keyOf = async (serial: string) => {
        const row = rows.find((r) => r.serial === serial);
        return (
          await openTransportKey(row?.encryptedTransportKey ?? '', passphrase, serial)
        ).toString('hex');
      };
      expect(await keyOf('STOCK-0001')).toBe(defaultManagementKey);
      expect(await keyOf('STOCK-0002')).toBe(aes128);
      expect(await keyOf('STOCK-0003')).toBe(aes256);
      await expect(
        openTransportKey(rows[0]?.encryptedTransportKey ?? '', passphrase, 'STOCK-9999'),
      ).rejects.toThrow();
      const imported = await events('card.stock_imported');
      expect(imported).toHaveLength(1);
      expect(imported[0]).toMatchObject({
        subjectType: 'card_location',
        subjectId: safe.id,
        summary: {
          location: 'RA office safe',
          odsCode: 'RWG01',
          count: 3,
          format: 'list',
          withDefaultKey: 1,
          linesNotImported: 0,
        },
      });
    });

    it('imports a CSV file with a heading line and quoted fields', async () => {
      const res = await importCards(manager, {
        locationId: ward.id,
        format: 'csv',
        text: `serial,management_key\r\n"CSV-0001","${des3}"\r\nCSV-0002,\r\n`,
      });
      expect(res.status).toBe(201);
      expect(res.body.imported).toBe(2);
      const rows = await cardsNamed(['CSV-0001', 'CSV-0002']);
      expect(rows.map((r) => r.locationId)).toEqual([ward.id, ward.id]);
    });

    // The other trust's stock holds a card, so a serial "known anywhere" is one outside too.
    it('imports into the other trust only for its own managers', async () => {
      const res = await importCards(rxx.manager, { locationId: theirs.id, text: 'RXX-STOCK-1' });
      expect(res.status).toBe(201);
      const intoOurs = await importCards(rxx.manager, { locationId: safe.id, text: 'RXX-STOCK-2' });
      const missing = await importCards(rxx.manager, {
        locationId: '00000000-0000-4000-8000-000000000000',
        text: 'RXX-STOCK-2',
      });
      expect(intoOurs.status).toBe(404);
      expect(intoOurs.body.error.message).toBe('There is no such card location.');
      expect(missing.body.error.message).toBe(intoOurs.body.error.message);
      expect(await cardsNamed(['RXX-STOCK-2'])).toEqual([]);
    });

    const mixed = [
      'GOOD-0001', // 1
      'bad!serial', // 2: malformed serial
      `GOOD-0002,${aes128.slice(0, 30)}`, // 3: key too short
      `GOOD-0003,${des3},spare`, // 4: too many fields
      'good-0001', // 5: repeats line 1
      'STOCK-0001', // 6: in our stock already
      'RXX-STOCK-1', // 7: in the other trust's stock
      'GOOD-0004', // 8
    ].join('\n');

    it('refuses a text with any bad line, naming each by its number, and imports nothing', async () => {
      const before = (await events('card.stock_imported')).length;
      const res = await importCards(manager, { locationId: safe.id, text: mixed });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
      expect(res.body.error.message).toBe(
        '6 lines need fixing; nothing was imported. 2 other lines are good: fix the others and import again, or import the good ones alone.',
      );
      expect(res.body.error.details).toEqual([
        {
          field: 'text',
          line: 2,
          message: 'Line 2: the serial is not 1 to 64 letters, digits and hyphens',
        },
        {
          field: 'text',
          line: 3,
          message:
            'Line 3: the management key has 30 hexadecimal digits; a 3DES key has 48, an AES key 32, 48 or 64',
        },
        {
          field: 'text',
          line: 4,
          message:
            "Line 4: has 3 fields; give the serial and, only if it is not the manufacturer's default, the management key",
        },
        { field: 'text', line: 5, message: 'Line 5: card good-0001 is on line 1 already' },
        {
          field: 'text',
          line: 6,
          message: 'Line 6: card STOCK-0001 is known already: in stock, at RA office safe (RWG01)',
        },
        { field: 'text', line: 7, message: 'Line 7: card RXX-STOCK-1 is known to this RA already' },
      ]);
      expect(await cardsNamed(['GOOD-0001', 'GOOD-0004'])).toEqual([]);
      expect(await events('card.stock_imported')).toHaveLength(before);
    });

    it('imports the good lines alone when asked, and reports the bad ones', async () => {
      const res = await importCards(manager, {
        locationId: safe.id,
        text: mixed,
        acceptValidLines: true,
      });
      expect(res.status).toBe(201);
      expect(res.body.imported).toBe(2);
      expect(res.body.rejected.map((r: { line: number }) => r.line)).toEqual([2, 3, 4, 5, 6, 7]);
      expect((await cardsNamed(['GOOD-0001', 'GOOD-0004'])).map((c) => c.state)).toEqual([
        'in_stock',
        'in_stock',
      ]);
      const last = (await events('card.stock_imported')).at(-1);
      expect(last?.summary).toMatchObject({ count: 2, linesNotImported: 6 });
    });

    it('refuses a text whose lines are all bad, even with the good lines accepted', async () => {
      const res = await importCards(manager, {
        locationId: safe.id,
        text: 'STOCK-0002\nbad!serial',
        acceptValidLines: true,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        '2 lines need fixing; nothing was imported. No line can be imported.',
      );
    });

    it('refuses an empty import, and one of more than 10,000 cards', async () => {
      for (const text of ['', '\n   \n']) {
        const res = await importCards(manager, { locationId: safe.id, text });
        expect(res.status).toBe(400);
        expect(res.body.error.details).toEqual([
          { field: 'text', message: 'has no card serials: give one serial a line' },
        ]);
      }
      const many = Array.from({ length: 10_001 }, (_, i) => `MANY-${i}`).join('\n');
      const res = await importCards(manager, { locationId: safe.id, text: many });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        { field: 'text', message: 'has 10,001 cards; import at most 10,000 at a time' },
      ]);
      const huge = await importCards(manager, { locationId: safe.id, text: 'x'.repeat(2_200_000) });
      expect(huge.status).toBe(413);
      expect(await cardsNamed(['MANY-0'])).toEqual([]);
    });

    it('names a missing location and the bad lines together', async () => {
      const res = await importCards(manager, { text: 'OK-1\nbad!serial' });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        { field: 'locationId', message: 'choose the location the cards go to' },
        {
          field: 'text',
          line: 2,
          message: 'Line 2: the serial is not 1 to 64 letters, digits and hyphens',
        },
      ]);
    });

    it('refuses to import, saying why, when the server has no CA key passphrase', async () => {
      const configured = t.config.caKeyPassphrase;
      t.config.caKeyPassphrase = undefined;
      try {
        const res = await importCards(manager, { locationId: safe.id, text: 'NOPASS-1' });
        expect(res.status).toBe(503);
        expect(res.body.error.message).toBe(
          'Cards cannot be imported: the server has no CA key passphrase (CA_KEY_PASSPHRASE or CA_KEY_PASSPHRASE_FILE) to encrypt their management keys with. Ask whoever runs the server to set it.',
        );
      } finally {
        t.config.caKeyPassphrase = configured;
      }
      expect(await cardsNamed(['NOPASS-1'])).toEqual([]);
    });

    it('imports 10,000 cards in one go', async () => {
      const serials = Array.from(
        { length: 10_000 },
        (_, i) => `BULK-${String(i).padStart(5, '0')}`,
      );
      const started = performance.now();
      const res = await importCards(manager, {
        locationId: ward.id,
        text: serials.map((s) => `${s},${aes128}`).join('\n'),
      });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
      expect(res.body.imported).toBe(10_000);
      expect(performance.now() - started).toBeLessThan(60_000);
      const [{ n } = { n: 0 }] = await t.db
        .select({ n: sql<number>`count(*)::int` })
        .from(cards)
        .where(sql`${cards.serial} like 'BULK-%'`);
      expect(n).toBe(10_000);
    }, 120_000);
  });

  describe('moves', () => {
    const move = (who: SignedIn, serials: string[], locationId: string) =>
      post(who, '/api/card-stock/moves', { serials, locationId });

    it('moves cards in stock and returned to another location, each card audited', async () => {
      await t.db.update(cards).set({ state: 'returned' }).where(eq(cards.serial, 'STOCK-0003'));
      const res = await move(manager, ['STOCK-0001', 'stock-0003'], ward.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ moved: 2, unchanged: 0, location: { id: ward.id } });
      const rows = await cardsNamed(['STOCK-0001', 'STOCK-0003']);
      expect(rows.map((r) => r.locationId)).toEqual([ward.id, ward.id]);
      const moved = await events('card.moved');
      expect(moved.map((e) => [e.subjectType, e.subjectId]).sort()).toEqual([
        ['card', 'STOCK-0001'],
        ['card', 'STOCK-0003'],
      ]);
      expect(moved[0]?.summary).toMatchObject({
        fromLocation: 'RA office safe (RWG01)',
        toLocation: 'RA office safe (RWG02)',
        odsCode: 'RWG02',
      });
      const again = await move(manager, ['STOCK-0001'], ward.id);
      expect(again.body).toMatchObject({ moved: 0, unchanged: 1 });
      expect(await events('card.moved')).toHaveLength(2);
    });

    it('names every card that cannot move, and moves none', async () => {
      await t.db.update(cards).set({ state: 'active' }).where(eq(cards.serial, 'GOOD-0004'));
      const res = await move(
        manager,
        [
          'STOCK-0002',
          'NO-SUCH-CARD',
          'RXX-STOCK-1',
          'GOOD-0004',
          rxx.records.flaggedSerials[0] ?? '',
        ],
        ward.id,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        {
          field: 'serials.1',
          message: "there is no card NO-SUCH-CARD in your organisations' stock",
        },
        {
          field: 'serials.2',
          message: "there is no card RXX-STOCK-1 in your organisations' stock",
        },
        {
          field: 'serials.3',
          message: 'card GOOD-0004 is issued: only cards in stock or returned can move',
        },
        {
          field: 'serials.4',
          message: `there is no card ${rxx.records.flaggedSerials[0]} in your organisations' stock`,
        },
      ]);
      const [card] = await cardsNamed(['STOCK-0002']);
      expect(card?.locationId).toBe(safe.id);
    });

    it("answers another trust's location as a missing one", async () => {
      const res = await move(manager, ['STOCK-0002'], theirs.id);
      const missing = await move(manager, ['STOCK-0002'], '00000000-0000-4000-8000-000000000000');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { message: missing.body.error.message } });
      const theirMove = await move(rxx.manager, ['STOCK-0002'], theirs.id);
      expect(theirMove.body.error.details).toEqual([
        { field: 'serials.0', message: "there is no card STOCK-0002 in your organisations' stock" },
      ]);
    });
  });

  describe('counts', () => {
    it('counts the cards at each location by state, matching the database', async () => {
      await t.db.update(cards).set({ state: 'destroyed' }).where(eq(cards.serial, 'CSV-0001'));
      const answer = await stock();
      const expected = await t.db
        .select({ locationId: cards.locationId, state: cards.state, n: sql<number>`count(*)::int` })
        .from(cards)
        .where(inArray(cards.locationId, [safe.id, ward.id]))
        .groupBy(cards.locationId, cards.state);
      expect(answer.locations.map((l) => l.location.id)).toEqual([safe.id, ward.id]);
      for (const l of answer.locations) {
        const want = Object.fromEntries(
          expected.filter((e) => e.locationId === l.location.id).map((e) => [e.state, e.n]),
        );
        const nonZero = Object.fromEntries(Object.entries(l.counts).filter(([, n]) => n > 0));
        expect(nonZero).toEqual(want);
        expect(l.total).toBe(Object.values(want).reduce((a, b) => a + b, 0));
        expect(Object.keys(l.counts).sort()).toEqual([
          'active',
          'blocked',
          'cancelled',
          'destroyed',
          'in_stock',
          'issued_locked',
          'returned',
          'suspended',
        ]);
      }
      // What the tests above left where.
      expect(answer.locations[0]?.counts).toMatchObject({ in_stock: 2, active: 1 });
      expect(answer.locations[1]?.counts).toMatchObject({
        in_stock: 10_002,
        returned: 1,
        destroyed: 1,
      });
      expect(answer.totals.in_stock).toBe(10_004);
      expect(answer.organisations.map((o) => o.odsCode)).toEqual(['RWG', 'RWG01', 'RWG02']);
    });

    it("counts only the caller's own locations", async () => {
      const theirStock = await stock(rxx.manager);
      expect(theirStock.locations.map((l) => l.location.id)).toEqual([theirs.id]);
      expect(theirStock.totals.in_stock).toBe(1);
      expect(theirStock.organisations.map((o) => o.odsCode)).toEqual(['RXX', 'RXX01']);
    });
  });

  describe('who may', () => {
    const routes = () =>
      [
        ['GET', '/api/card-locations', undefined],
        ['POST', '/api/card-locations', { odsCode: 'RWG01', name: 'Refused shelf' }],
        [
          'POST',
          '/api/card-stock/imports',
          { locationId: safe.id, text: 'REFUSED-1', format: 'list' },
        ],
        ['POST', '/api/card-stock/moves', { serials: ['STOCK-0002'], locationId: ward.id }],
        ['GET', '/api/card-stock', undefined],
      ] as const;

    it('refuses every stock route to staff, sponsors, ID checkers and LSAs, changing nothing', async () => {
      for (const username of ['staff', 'sponsor', 'idchecker', 'lsa']) {
        const who = await t.login(username);
        for (const [method, path, body] of routes()) {
          const res = await call(who, method, path, body);
          expect(res.status, `${username} ${method} ${path}`).toBe(403);
          expect(res.body.error.message).toContain('"card-stock:manage"');
        }
      }
      expect(await cardsNamed(['REFUSED-1'])).toEqual([]);
      const [card] = await cardsNamed(['STOCK-0002']);
      expect(card?.locationId).toBe(safe.id);
    });

    it("refuses a workstation's reader agent and a caller not signed in", async () => {
      const registered = await post(manager, '/api/workstations', {
        name: 'Stock test desk',
        odsCode: 'RWG01',
      });
      const enrolled = await t.app.request('/api/agent/enrol', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: registered.body.enrolment.code }),
      });
      const { credential } = (await enrolled.json()) as { credential: string };
      for (const [method, path, body] of routes()) {
        const asAgent = await t.app.request(path, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        expect(asAgent.status, `agent ${method} ${path}`).toBe(401);
        const nobody = await call(null, method, path, body);
        expect(nobody.status).toBe(401);
      }
    });

    it("shows each trust's managers their own stock events in the audit trail, not the other's", async () => {
      const listed = async (who: SignedIn) =>
        (await call(who, 'GET', '/api/audit?category=cards&limit=100')).body.items as {
          action: string;
          subjectId: string;
        }[];
      const ours = await listed(manager);
      expect(
        ours.filter((e) => e.action === 'card.stock_imported').map((e) => e.subjectId),
      ).toEqual(expect.arrayContaining([safe.id, ward.id]));
      expect(ours.some((e) => e.subjectId === theirs.id)).toBe(false);
      const theirEvents = await listed(rxx.manager);
      expect(theirEvents.map((e) => e.action)).toContain('card.stock_imported');
      expect(theirEvents.some((e) => e.subjectId === safe.id || e.subjectId === 'STOCK-0001')).toBe(
        false,
      );
    });
  });

  it('never answers, logs or audits a management key', async () => {
    const audit = JSON.stringify(await t.db.select({ s: auditEvents.summary }).from(auditEvents));
    const logs = readFileSync(t.logFile, 'utf8');
    for (const [where, text] of [
      ['answers', answers.join('\n')],
      ['logs', logs],
      ['audit trail', audit],
    ] as const) {
      for (const key of [...secretKeys, defaultManagementKey]) {
        expect(text.toLowerCase().includes(key), `${where} hold a management key`).toBe(false);
      }
    }
    expect(answers.length).toBeGreaterThan(40);
    expect(logs.length).toBeGreaterThan(0);
  });
});
