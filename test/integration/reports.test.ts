import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRequests, assignments, clinicalSystems, positions } from '../../db/schema/access.ts';
import { accounts } from '../../db/schema/accounts.ts';
import { cardJobs } from '../../db/schema/card-jobs.ts';
import { cardLocations, cards } from '../../db/schema/cards.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { people, personOrganisations } from '../../db/schema/people.ts';
import { workstations } from '../../db/schema/workstations.ts';
import { addDays, dateOf, startOfDay, todayOf } from '../../server/services/dates.ts';
import { statusLabel } from '../../vocabulary/status-label.ts';
import { systemLabel } from '../../vocabulary/system-labels.ts';
import { testDrivers } from '../support/databases.ts';
import { activated, demoTrust, secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const dayMs = 86_400_000;
const hourMs = 3_600_000;
const inUse = ['issued_locked', 'active', 'blocked', 'suspended'];
const formulaName = "=cmd|' /C calc'!A0";

/** The Monday of a calendar date's week. */
function mondayOf(isoDate: string): string {
  const weekday = new Date(`${isoDate}T00:00:00Z`).getUTCDay();
  return addDays(isoDate, -((weekday + 6) % 7));
}

/** What an organisation filter covers: every organisation, or these ODS codes. */
type Covered = 'all' | Set<string>;
const inside = (covered: Covered, odsCode: string) => covered === 'all' || covered.has(odsCode);

interface Tables {
  cards: (typeof cards.$inferSelect)[];
  locations: (typeof cardLocations.$inferSelect)[];
  memberships: (typeof personOrganisations.$inferSelect)[];
  organisations: (typeof organisations.$inferSelect)[];
  requests: (typeof accessRequests.$inferSelect)[];
  jobs: (typeof cardJobs.$inferSelect)[];
  assignments: (typeof assignments.$inferSelect)[];
  positions: (typeof positions.$inferSelect)[];
  people: (typeof people.$inferSelect)[];
}

/**
 * The oracle: every report worked out here in plain JavaScript from every row of the
 * tables, never by the server's SQL, for the organisations a caller's filter covers.
 */
function expected(tables: Tables, covered: Covered, now: Date) {
  const today = todayOf(now);
  const orgsOf = (personId: string | null) =>
    tables.memberships.filter((m) => m.personId === personId).map((m) => m.odsCode);
  const holderInside = (personId: string | null) =>
    orgsOf(personId).some((o) => inside(covered, o));

  const cardCounts = new Map<string, number>();
  for (const card of tables.cards) {
    const owners = card.personId
      ? orgsOf(card.personId)
      : tables.locations.filter((l) => l.id === card.locationId).map((l) => l.odsCode);
    for (const odsCode of owners.filter((o) => inside(covered, o))) {
      const key = [odsCode, card.state, card.cardType].join('|');
      cardCounts.set(key, (cardCounts.get(key) ?? 0) + 1);
    }
  }
  const cardsByState = [...cardCounts].map(([key, n]) => {
    const [odsCode = '', state = '', cardType = ''] = key.split('|');
    return {
      odsCode,
      organisation: tables.organisations.find((o) => o.odsCode === odsCode)?.name,
      state,
      cardType,
      cards: n,
    };
  });

  const expiringWeeks = new Map<string, number>();
  const sixMonths = '2027-05-25';
  for (const card of tables.cards) {
    if (!card.expiresAt || !inUse.includes(card.state) || !holderInside(card.personId)) continue;
    const day = dateOf(card.expiresAt);
    if (day < today || day > sixMonths) continue;
    expiringWeeks.set(mondayOf(day), (expiringWeeks.get(mondayOf(day)) ?? 0) + 1);
  }

  const months = new Map<
    string,
    {
      raised: number;
      approved: number;
      rejected: number;
      withdrawn: number;
      waits: number[];
    }
  >();
  const month = (m: string) => {
    let found = months.get(m);
    if (!found) {
      found = { raised: 0, approved: 0, rejected: 0, withdrawn: 0, waits: [] };
      months.set(m, found);
    }
    return found;
  };
  for (const r of tables.requests) {
    if (!inside(covered, r.odsCode)) continue;
    month(dateOf(r.raisedAt).slice(0, 7)).raised++;
    if (!r.decidedAt || r.status === 'open') continue;
    const m = month(dateOf(r.decidedAt).slice(0, 7));
    if (r.status === 'withdrawn') m.withdrawn++;
    else {
      m[r.status]++;
      m.waits.push(r.decidedAt.getTime() - r.raisedAt.getTime());
    }
  }
  const median = (values: number[]) => {
    if (!values.length) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = (sorted.length - 1) / 2;
    const ms = ((sorted[Math.floor(mid)] ?? 0) + (sorted[Math.ceil(mid)] ?? 0)) / 2;
    return Math.round((ms / hourMs) * 100) / 100;
  };

  const unlocks = new Map<string, { unlocks: number; selfService: number }>();
  for (const job of tables.jobs) {
    if (job.kind !== 'unlock' || job.state !== 'succeeded' || !job.finishedAt) continue;
    if (!holderInside(job.personId)) continue;
    const m = dateOf(job.finishedAt).slice(0, 7);
    const found = unlocks.get(m) ?? { unlocks: 0, selfService: 0 };
    found.unlocks++;
    if (job.selfService) found.selfService++;
    unlocks.set(m, found);
  }

  const positionOf = (id: string) => tables.positions.find((p) => p.id === id);
  const access = new Map<string, { people: Set<string>; positions: Set<string> }>();
  for (const a of tables.assignments) {
    const position = positionOf(a.positionId);
    if (position?.status !== 'active' || !inside(covered, position.odsCode)) continue;
    if (a.endedAt || a.startDate > today || (a.endDate !== null && a.endDate < today)) continue;
    for (const system of position.systems) {
      const found = access.get(system) ?? { people: new Set(), positions: new Set() };
      found.people.add(a.personId);
      found.positions.add(position.id);
      access.set(system, found);
    }
  }

  const ending = tables.assignments
    .filter((a) => {
      const position = positionOf(a.positionId);
      return (
        position &&
        inside(covered, position.odsCode) &&
        !a.endedAt &&
        a.endDate !== null &&
        a.endDate >= today &&
        a.endDate <= addDays(today, 30)
      );
    })
    .sort((a, b) => (a.endDate ?? '').localeCompare(b.endDate ?? '') || a.id.localeCompare(b.id))
    .map((a) => {
      const person = tables.people.find((p) => p.id === a.personId);
      const position = positionOf(a.positionId);
      return {
        endDate: a.endDate,
        name: `${person?.givenName} ${person?.familyName}`,
        position: position?.name,
        odsCode: position?.odsCode,
      };
    });

  return {
    cardsByState: cardsByState.sort(
      (a, b) =>
        a.odsCode.localeCompare(b.odsCode) ||
        a.state.localeCompare(b.state) ||
        a.cardType.localeCompare(b.cardType),
    ),
    expiringWeeks,
    months: (m: string) => {
      const found = months.get(m);
      return {
        month: m,
        raised: found?.raised ?? 0,
        decided: (found?.approved ?? 0) + (found?.rejected ?? 0),
        approved: found?.approved ?? 0,
        rejected: found?.rejected ?? 0,
        withdrawn: found?.withdrawn ?? 0,
        medianHoursToDecision: median(found?.waits ?? []),
      };
    },
    unlocks: (m: string) => ({
      month: m,
      unlocks: unlocks.get(m)?.unlocks ?? 0,
      selfService: unlocks.get(m)?.selfService ?? 0,
    }),
    systems: clinicalSystems.map((system) => ({
      system,
      people: access.get(system)?.people.size ?? 0,
      positions: access.get(system)?.positions.size ?? 0,
    })),
    ending,
  };
}

/**
 * The reports (GET /api/reports/…): each figure against the oracle above over data written
 * for the purpose in two trusts, for an RA manager of a trust, a national RA manager and a
 * sponsor of one site; who may not see them; filters a person could get wrong, or an
 * attacker could try; and the CSV downloads against the database.
 */
describe.each(testDrivers)('reports (%s)', (driver) => {
  let t: TestApp;
  let rwg: Trust;
  let rxx: Trust;
  let national: SignedIn;
  let sponsor: SignedIn;
  let tables: Tables;
  const months = [
    '2025-12',
    '2026-01',
    '2026-02',
    '2026-03',
    '2026-04',
    '2026-05',
    '2026-06',
    '2026-07',
    '2026-08',
    '2026-09',
    '2026-10',
    '2026-11',
  ];

  async function readTables(): Promise<Tables> {
    return {
      cards: await t.db.select().from(cards),
      locations: await t.db.select().from(cardLocations),
      memberships: await t.db.select().from(personOrganisations),
      organisations: await t.db.select().from(organisations),
      requests: await t.db.select().from(accessRequests),
      jobs: await t.db.select().from(cardJobs),
      assignments: await t.db.select().from(assignments),
      positions: await t.db.select().from(positions),
      people: await t.db.select().from(people),
    };
  }

  beforeAll(async () => {
    t = await createTestApp(driver);
    rwg = await demoTrust(t);
    rxx = await secondTrust(t);
    national = await activated(t, 'national.manager', 'ra_manager', null);
    sponsor = await t.login('sponsor');
    const now = t.clock.now();
    const today = todayOf(now);
    const [managerAccount] = await t.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.username, 'manager'));
    if (!managerAccount) throw new Error('no manager account');

    // People of each site, written directly: 40 at RWG01 (one named as a formula), 3 at
    // RWG02, 10 at RXX01.
    const person = (given: string, family: string, n: number) => ({
      userId: `7${String(n).padStart(11, '0')}`,
      givenName: given,
      familyName: family,
      dateOfBirth: '1980-01-01',
      status: 'active' as const,
      givenKey: given.toLowerCase(),
      familyKey: family.toLowerCase(),
      familyGivenKey: `${family} ${given}`.toLowerCase(),
      givenFamilyKey: `${given} ${family}`.toLowerCase(),
      createdAt: now,
      updatedAt: now,
    });
    const sites = [
      ...Array.from({ length: 40 }, () => 'RWG01'),
      'RWG02',
      'RWG02',
      'RWG02',
      ...Array.from({ length: 10 }, () => 'RXX01'),
    ];
    const made = await t.db
      .insert(people)
      .values(
        sites.map((_, i) =>
          i === 0 ? person(formulaName, 'Injected', i) : person(`Report${i}`, 'Person', i),
        ),
      )
      .returning({ id: people.id });
    await t.db
      .insert(personOrganisations)
      .values(made.map((p, i) => ({ personId: p.id, odsCode: sites[i] ?? 'RWG01' })));
    const at = (site: string) => made.filter((_, i) => sites[i] === site).map((p) => p.id);
    const [rwg01, rwg02, rxx01] = [at('RWG01'), at('RWG02'), at('RXX01')];
    // One person of two organisations: their cards count under both.
    const twoSites = rwg02[0] ?? '';
    await t.db.insert(personOrganisations).values({ personId: twoSites, odsCode: 'RWG01' });

    // Cards: held ones expiring on the edges of the period, and stock at locations.
    const [rwgSafe, rxxSafe] = await t.db
      .insert(cardLocations)
      .values([
        { odsCode: 'RWG02', name: 'Report safe', createdAt: now },
        { odsCode: 'RXX', name: 'Crossfield report safe', createdAt: now },
      ])
      .returning({ id: cardLocations.id });
    const card = (
      personId: string | null,
      state: (typeof cards.$inferInsert)['state'],
      expiresAt: Date | null,
      extra: Partial<typeof cards.$inferInsert> = {},
    ): typeof cards.$inferInsert => ({
      serial: randomBytes(16).toString('hex'),
      personId,
      state,
      expiresAt,
      createdAt: now,
      updatedAt: now,
      ...extra,
    });
    const day = (n: number) => startOfDay(addDays(today, n));
    await t.db.insert(cards).values([
      card(rwg01[2] ?? null, 'blocked', new Date(now.getTime() + 10 * dayMs)),
      // Every edge of the six months, at RXX01, where nothing else expires.
      card(rxx01[3] ?? null, 'active', new Date(now.getTime() + 3 * dayMs)),
      card(rxx01[4] ?? null, 'suspended', new Date(now.getTime() + 100 * dayMs)),
      card(rxx01[5] ?? null, 'issued_locked', new Date(day(182).getTime() - 1)),
      card(rxx01[6] ?? null, 'active', day(182)),
      card(rxx01[7] ?? null, 'active', new Date(now.getTime() - hourMs)),
      card(rxx01[8] ?? null, 'active', new Date(day(0).getTime() - 1)),
      card(rxx01[9] ?? null, 'cancelled', new Date(now.getTime() + 5 * dayMs)),
      card(twoSites, 'active', new Date(now.getTime() + 20 * dayMs), { cardType: 'TAC' }),
      card(rwg02[1] ?? null, 'active', new Date(now.getTime() + 20 * dayMs)),
      card(rxx01[0] ?? null, 'active', new Date(now.getTime() + 10 * dayMs)),
      card(rxx01[1] ?? null, 'blocked', new Date(now.getTime() + 10 * dayMs)),
      card(rxx01[2] ?? null, 'active', new Date(now.getTime() + 40 * dayMs)),
      card(null, 'in_stock', null, { locationId: rwgSafe?.id ?? null }),
      card(null, 'in_stock', null, { locationId: rwgSafe?.id ?? null }),
      card(null, 'returned', null, { locationId: rxxSafe?.id ?? null }),
      card(null, 'in_stock', null),
    ]);

    // Positions opening systems, at each site; one closed.
    const position = (odsCode: string, name: string, systems: string[], closed = false) => ({
      odsCode,
      name,
      systems,
      status: closed ? ('closed' as const) : ('active' as const),
      closedAt: closed ? now : null,
      createdAt: now,
      updatedAt: now,
    });
    const rwgPositions = await t.db
      .insert(positions)
      .values(
        Array.from({ length: 27 }, (_, i) =>
          position('RWG01', `Report post ${i}`, i % 2 ? ['systmone', 'ers'] : ['pacs']),
        ),
      )
      .returning({ id: positions.id });
    const [nurse, crossfield, closed] = await t.db
      .insert(positions)
      .values([
        position('RWG02', 'Report nurse', ['pacs', 'esr']),
        position('RXX01', 'Crossfield report post', ['sus', 'esr']),
        position('RWG02', 'Closed report post', ['sus'], true),
      ])
      .returning({ id: positions.id });
    // 1,080 assignments ending within the month at RWG01 (more than one batch of the
    // download), and some held, future, ended or later ones elsewhere.
    const held = (
      personId: string,
      positionId: string,
      startDate: string,
      endDate: string | null,
      ended = false,
    ): typeof assignments.$inferInsert => ({
      personId,
      positionId,
      startDate,
      endDate,
      endedAt: ended ? now : null,
      endReason: ended ? 'removed' : null,
      createdAt: now,
    });
    const many: (typeof assignments.$inferInsert)[] = [];
    rwg01.forEach((personId, i) => {
      rwgPositions.slice(0, 27).forEach((p, j) => {
        many.push(held(personId, p.id, '2026-01-01', addDays(today, (i + j) % 31)));
      });
    });
    await t.db.insert(assignments).values(many);
    await t.db
      .insert(assignments)
      .values([
        held(rwg02[0] ?? '', nurse?.id ?? '', '2026-01-01', null),
        held(rwg02[1] ?? '', nurse?.id ?? '', addDays(today, 1), addDays(today, 5)),
        held(rwg02[2] ?? '', nurse?.id ?? '', '2026-01-01', addDays(today, 31)),
        held(rwg02[2] ?? '', closed?.id ?? '', '2026-01-01', null),
        held(rwg02[1] ?? '', crossfield?.id ?? '', '2026-01-01', null, true),
        held(rxx01[0] ?? '', crossfield?.id ?? '', '2026-01-01', addDays(today, 2)),
        held(rxx01[1] ?? '', crossfield?.id ?? '', '2026-01-01', null),
      ]);

    // Requests raised and decided over the months, waits of 2, 4 and 10 hours in October.
    const request = (
      odsCode: string,
      positionId: string,
      raisedAt: Date,
      status: 'open' | 'approved' | 'rejected' | 'withdrawn',
      waitHours: number,
    ): typeof accessRequests.$inferInsert => ({
      kind: 'assign',
      personId: rwg02[0] ?? '',
      positionId,
      odsCode,
      status,
      raisedBy: managerAccount.id,
      raisedAt,
      decidedBy: status === 'open' ? null : managerAccount.id,
      decidedAt: status === 'open' ? null : new Date(raisedAt.getTime() + waitHours * hourMs),
    });
    const october = (d: number, h = 9) => new Date(Date.UTC(2026, 9, d, h));
    await t.db.insert(accessRequests).values([
      request('RWG02', nurse?.id ?? '', october(5), 'approved', 2),
      request('RWG02', nurse?.id ?? '', october(6), 'approved', 4),
      request('RWG02', nurse?.id ?? '', october(7), 'rejected', 10),
      request('RWG02', nurse?.id ?? '', october(31, 20), 'approved', 6),
      request('RWG02', nurse?.id ?? '', october(8), 'withdrawn', 1),
      request(
        'RWG01',
        rwgPositions[0]?.id ?? '',
        new Date(Date.UTC(2026, 2, 29, 0, 30)),
        'approved',
        24,
      ),
      request(
        'RWG01',
        rwgPositions[0]?.id ?? '',
        new Date(Date.UTC(2025, 10, 30, 12)),
        'approved',
        48,
      ),
      request('RXX01', crossfield?.id ?? '', october(9), 'approved', 100),
      // Decided in 12 minutes: a median of a fifth of an hour, not 0 hours.
      request('RXX01', crossfield?.id ?? '', new Date(Date.UTC(2026, 8, 10, 9)), 'approved', 0.2),
    ]);

    // Unlocks: succeeded at a desk and by the holder, and one that failed.
    const [rwgDesk] = await t.db
      .select({ id: workstations.id })
      .from(workstations)
      .where(eq(workstations.odsCode, 'RWG01'));
    const unlockCards = await t.db
      .insert(cards)
      .values([card(rwg01[9] ?? null, 'active', null), card(rxx01[0] ?? null, 'active', null)])
      .returning({ id: cards.id });
    const job = (
      cardIndex: number,
      personId: string,
      finishedAt: Date,
      state: 'succeeded' | 'failed',
      selfService = false,
      kind: 'unlock' | 'renew' = 'unlock',
    ): typeof cardJobs.$inferInsert => ({
      kind,
      selfService,
      state,
      cardId: unlockCards[cardIndex]?.id ?? '',
      personId,
      workstationId: rwgDesk?.id ?? rwg.records.workstation,
      requestedBy: managerAccount.id,
      nonceHash: randomBytes(32).toString('hex'),
      createdAt: finishedAt,
      expiresAt: finishedAt,
      finishedAt,
    });
    await t.db
      .insert(cardJobs)
      .values([
        job(0, rwg01[9] ?? '', october(3), 'succeeded'),
        job(0, rwg01[9] ?? '', october(4), 'succeeded', true),
        job(0, rwg01[9] ?? '', october(5), 'failed'),
        job(0, rwg01[9] ?? '', october(6), 'succeeded', false, 'renew'),
        job(0, rwg01[9] ?? '', new Date(Date.UTC(2026, 10, 1, 0, 30)), 'succeeded', true),
        job(1, rxx01[0] ?? '', october(3), 'succeeded'),
      ]);
    tables = await readTables();
  }, 120_000);
  afterAll(() => t?.close());

  async function get(who: SignedIn, path: string) {
    return t.app.request(path, { headers: { cookie: who.cookie } });
  }
  async function report<T>(who: SignedIn, path: string): Promise<T> {
    const res = await get(who, path);
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    return (await res.json()) as T;
  }
  async function csv(who: SignedIn, path: string): Promise<string[][]> {
    const res = await get(who, path);
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="[a-z-]+-2026-11-25\.csv"$/,
    );
    return parse(Buffer.from(await res.arrayBuffer()), { bom: true }) as string[][];
  }

  const rwgCodes = new Set(['RWG', 'RWG01', 'RWG02']);

  type Callers = { who: () => SignedIn; covered: Covered; query: string }[];
  const callers = (): Callers => [
    { who: () => rwg.manager, covered: rwgCodes, query: '' },
    { who: () => national, covered: 'all', query: '' },
    { who: () => sponsor, covered: new Set(['RWG01']), query: '' },
    { who: () => rwg.manager, covered: new Set(['RWG02']), query: '?organisation=RWG02' },
    { who: () => national, covered: new Set(['RXX', 'RXX01']), query: '?organisation=RXX' },
    {
      who: () => national,
      covered: new Set(['RWG01', 'RXX01']),
      query: '?organisation=RWG01&organisation=RXX01',
    },
  ];
  const label = (i: number) =>
    ['RWG manager', 'national', 'RWG01 sponsor', 'RWG02 only', 'RXX only', 'two sites'][i];

  describe('figures', () => {
    it('cards by organisation, state and type match the cards and their owners', async () => {
      for (const [i, c] of callers().entries()) {
        const { rows } = await report<{ rows: unknown[] }>(
          c.who(),
          `/api/reports/cards-by-state${c.query}`,
        );
        expect(rows, label(i)).toEqual(expected(tables, c.covered, t.clock.now()).cardsByState);
      }
    });

    it('a card of a holder of two sites counts under each; the stock counts where it is kept', async () => {
      const { rows } = await report<{
        rows: { odsCode: string; state: string; cardType: string; cards: number }[];
      }>(rwg.manager, '/api/reports/cards-by-state');
      const tac = rows.filter((r) => r.cardType === 'TAC').map((r) => [r.odsCode, r.cards]);
      expect(tac).toEqual([
        ['RWG01', 1],
        ['RWG02', 1],
      ]);
      expect(rows.some((r) => r.odsCode.startsWith('RXX'))).toBe(false);
      // Every stock card is counted once, where it is kept, but the one kept nowhere.
      const everywhere = await report<{ rows: { state: string; cards: number }[] }>(
        national,
        '/api/reports/cards-by-state',
      );
      const inStock = (rs: { state: string; cards: number }[]) =>
        rs.filter((r) => r.state === 'in_stock').reduce((sum, r) => sum + r.cards, 0);
      const stocked = tables.cards.filter((c) => c.state === 'in_stock');
      expect(stocked.some((c) => !c.locationId)).toBe(true);
      expect(inStock(everywhere.rows)).toBe(stocked.filter((c) => c.locationId).length);
      const returned = everywhere.rows.filter((r) => r.state === 'returned');
      expect(returned).toContainEqual(expect.objectContaining({ odsCode: 'RXX', cards: 1 }));
    });

    it('cards expiring by week: six months of Mondays, each with its cards', async () => {
      for (const [i, c] of callers().entries()) {
        const report_ = await report<{
          period: { from: string; to: string };
          weeks: { weekStarting: string; cards: number }[];
        }>(c.who(), `/api/reports/expiring-by-week${c.query}`);
        expect(report_.period, label(i)).toEqual({ from: '2026-11-25', to: '2027-05-25' });
        const oracle = expected(tables, c.covered, t.clock.now()).expiringWeeks;
        expect(report_.weeks[0]?.weekStarting).toBe('2026-11-23');
        expect(report_.weeks.at(-1)?.weekStarting).toBe('2027-05-24');
        expect(report_.weeks).toHaveLength(27);
        for (const w of report_.weeks) {
          expect(w.cards, `${label(i)} ${w.weekStarting}`).toBe(oracle.get(w.weekStarting) ?? 0);
        }
      }
    });

    it('counts by hand what expires at RXX01, on the edges of the six months', async () => {
      const { weeks } = await report<{ weeks: { weekStarting: string; cards: number }[] }>(
        national,
        '/api/reports/expiring-by-week?organisation=RXX01',
      );
      const nonZero = Object.fromEntries(
        weeks.filter((w) => w.cards).map((w) => [w.weekStarting, w.cards]),
      );
      // +3 days and an hour ago (today) this week; two at +10 days; +40; the suspended card
      // at +100; the locked one at the last instant of the six months. The card that expired
      // before today, the cancelled one and the one just after the six months are not counted.
      expect(nonZero).toEqual({
        '2026-11-23': 2,
        '2026-11-30': 2,
        '2027-01-04': 1,
        '2027-03-01': 1,
        '2027-05-24': 1,
      });
    });

    it('requests raised and decided by month, with the median wait', async () => {
      for (const [i, c] of callers().entries()) {
        const { months: got } = await report<{ months: unknown[] }>(
          c.who(),
          `/api/reports/requests-by-month${c.query}`,
        );
        const oracle = expected(tables, c.covered, t.clock.now());
        expect(got, label(i)).toEqual(months.map(oracle.months));
      }
      const { months: rwg02 } = await report<{ months: { month: string }[] }>(
        rwg.manager,
        '/api/reports/requests-by-month?organisation=RWG02',
      );
      // October: 2, 4 and 10 hours (a withdrawal is no decision): the median is 4 hours; the
      // one raised on 31 October late at night was decided on 1 November, UK time.
      expect(rwg02.find((m) => m.month === '2026-10')).toMatchObject({
        raised: 5,
        decided: 3,
        approved: 2,
        rejected: 1,
        withdrawn: 1,
        medianHoursToDecision: 4,
      });
      expect(rwg02.find((m) => m.month === '2026-11')).toMatchObject({
        decided: 1,
        medianHoursToDecision: 6,
      });
      // A decision in 12 minutes is 0.2 hours, not rounded away to nothing.
      const { months: rxx01 } = await report<{ months: { month: string }[] }>(
        national,
        '/api/reports/requests-by-month?organisation=RXX01',
      );
      expect(rxx01.find((m) => m.month === '2026-09')).toMatchObject({
        decided: 1,
        medianHoursToDecision: 0.2,
      });
    });

    it('unlocks by month: succeeded unlocks only, and those by the holder', async () => {
      for (const [i, c] of callers().entries()) {
        const { months: got } = await report<{ months: unknown[] }>(
          c.who(),
          `/api/reports/unlocks-by-month${c.query}`,
        );
        expect(got, label(i)).toEqual(
          months.map(expected(tables, c.covered, t.clock.now()).unlocks),
        );
      }
      const { months: rwg01 } = await report<{
        months: { month: string; unlocks: number; selfService: number }[];
      }>(sponsor, '/api/reports/unlocks-by-month?from=2026-10-01&to=2026-11-30');
      expect(rwg01).toEqual([
        { month: '2026-10', unlocks: 2, selfService: 1 },
        { month: '2026-11', unlocks: 1, selfService: 1 },
      ]);
    });

    it('people with access to each clinical system today', async () => {
      for (const [i, c] of callers().entries()) {
        const report_ = await report<{ asOf: string; systems: unknown[] }>(
          c.who(),
          `/api/reports/system-access${c.query}`,
        );
        expect(report_.asOf).toBe('2026-11-25');
        expect(report_.systems, label(i)).toEqual(
          expected(tables, c.covered, t.clock.now()).systems,
        );
      }
      const { systems } = await report<{
        systems: { system: string; people: number; positions: number }[];
      }>(national, '/api/reports/system-access?organisation=RXX01');
      // The Crossfield report post (SUS, ESR) held by two (one until the day after tomorrow;
      // one removal does not count), and the second trust's clerk post (ESR) held by one.
      expect(Object.fromEntries(systems.map((s) => [s.system, [s.people, s.positions]]))).toEqual({
        systmone: [0, 0],
        ers: [0, 0],
        pacs: [0, 0],
        sus: [2, 1],
        esr: [3, 2],
      });
    });

    it('positions ending in the next 30 days, by week and listed soonest first', async () => {
      for (const [i, c] of callers().entries()) {
        const got = await report<{
          total: number;
          weeks: { weekStarting: string; assignments: number }[];
          items: {
            endDate: string;
            person: { name: string };
            position: { name: string };
            odsCode: string;
          }[];
        }>(c.who(), `/api/reports/positions-ending${c.query}`);
        const oracle = expected(tables, c.covered, t.clock.now()).ending;
        expect(got.total, label(i)).toBe(oracle.length);
        expect(got.weeks.reduce((s, w) => s + w.assignments, 0)).toBe(oracle.length);
        expect(
          got.items.map((r) => ({
            endDate: r.endDate,
            name: r.person.name,
            position: r.position.name,
            odsCode: r.odsCode,
          })),
          label(i),
        ).toEqual(oracle.slice(0, 100));
      }
    });
  });

  describe('who may see them', () => {
    const paths = [
      '/api/reports',
      '/api/reports/cards-by-state',
      '/api/reports/expiring-by-week',
      '/api/reports/requests-by-month',
      '/api/reports/unlocks-by-month',
      '/api/reports/system-access',
      '/api/reports/positions-ending',
      '/api/reports/cards-by-state.csv',
      '/api/reports/positions-ending.csv',
    ];

    it('refuses every report to a staff member, an LSA, an RA agent and an ID checker', async () => {
      for (const username of ['staff', 'lsa', 'agent', 'idchecker']) {
        const who = await t.login(username);
        for (const path of paths) {
          const res = await get(who, path);
          expect(res.status, `${username} ${path}`).toBe(403);
          const body = (await res.json()) as { error: { code: string; message: string } };
          expect(body.error.code).toBe('FORBIDDEN');
          expect(body.error.message).toContain('reports:read');
        }
      }
    });

    it('asks a caller with no session to sign in', async () => {
      for (const path of paths) {
        expect((await t.app.request(path)).status, path).toBe(401);
      }
    });

    it('offers each caller the organisations their role reaches', async () => {
      const codes = async (who: SignedIn) =>
        (
          await report<{ organisations: { odsCode: string }[] }>(who, '/api/reports')
        ).organisations.map((o) => o.odsCode);
      expect(await codes(rwg.manager)).toEqual(['RWG', 'RWG01', 'RWG02']);
      expect(await codes(sponsor)).toEqual(['RWG01']);
      expect(await codes(rxx.manager)).toEqual(['RXX', 'RXX01']);
      expect(await codes(national)).toEqual(expect.arrayContaining(['RWG', 'RWG01', 'RXX01']));
    });

    it('refuses an organisation outside the caller’s reach, saying which they may ask for', async () => {
      for (const [who, path, yours] of [
        [sponsor, '/api/reports/cards-by-state?organisation=RWG02', 'RWG01'],
        [sponsor, '/api/reports/system-access?organisation=RWG', 'RWG01'],
        [rwg.manager, '/api/reports/unlocks-by-month?organisation=RXX01', 'RWG, RWG01, RWG02'],
        [rxx.manager, '/api/reports/positions-ending.csv?organisation=RWG01', 'RXX, RXX01'],
      ] as const) {
        const res = await get(who, path);
        expect(res.status, path).toBe(403);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.message).toContain(`for ${yours} only`);
        // Nothing of the other organisation's figures comes back.
        expect(JSON.stringify(error)).not.toMatch(/"cards"|"rows"/);
      }
    });

    it('never shows a sponsor another site’s people in the list of positions ending', async () => {
      const { items } = await report<{ items: { odsCode: string }[] }>(
        sponsor,
        '/api/reports/positions-ending',
      );
      expect(items.length).toBeGreaterThan(0);
      expect(new Set(items.map((i) => i.odsCode))).toEqual(new Set(['RWG01']));
      const rows = await csv(sponsor, '/api/reports/positions-ending.csv');
      expect(new Set(rows.slice(1).map((r) => r[4]))).toEqual(new Set(['RWG01']));
    });
  });

  describe('filters a person could get wrong', () => {
    const problems = async (path: string) => {
      const res = await get(rwg.manager, path);
      expect(res.status, path).toBe(400);
      const { error } = (await res.json()) as {
        error: { code: string; message: string; details: { field: string; message: string }[] };
      };
      expect(error.code).toBe('VALIDATION');
      return error.details;
    };

    it.each([
      ['/api/reports/cards-by-state?organisation=rwg01', 'organisation.0', 'ODS code'],
      [
        '/api/reports/cards-by-state?organisation=ZZZ99',
        'organisation.0',
        'no organisation has the ODS code ZZZ99',
      ],
      ["/api/reports/system-access?organisation=RWG'%20OR%201=1--", 'organisation.0', 'ODS code'],
      ['/api/reports/expiring-by-week?from=2026-02-30', 'from', 'YYYY-MM-DD'],
      ['/api/reports/expiring-by-week?to=yesterday', 'to', 'YYYY-MM-DD'],
      ['/api/reports/requests-by-month?from=0000-01-01', 'from', ''],
      [
        '/api/reports/unlocks-by-month?from=2026-11-01&to=2026-10-01',
        'to',
        'on or after the start',
      ],
      ['/api/reports/expiring-by-week?from=2026-01-01&to=2027-06-01', 'to', 'within a year'],
      ['/api/reports/requests-by-month?from=2001-01-01', 'to', 'within five years'],
      ['/api/reports/positions-ending?to=2020-01-01', 'to', 'on or after the start'],
      ['/api/reports/cards-by-state?from=2026-01-01', 'from', 'not a field'],
      ['/api/reports/positions-ending.csv?limit=5', 'limit', 'not a field'],
      [`/api/reports/cards-by-state?${'organisation=RWG&'.repeat(21)}`, 'organisation', ''],
    ])('%s: 400 naming %s', async (path, field, words) => {
      const details = await problems(path);
      expect(details.map((d) => d.field)).toContain(field);
      expect(details.find((d) => d.field === field)?.message).toContain(words);
    });

    it('gives a value that is no date at all one message, not one for each range it also misses', async () => {
      for (const value of ['%3Cscript%3E', 'yesterday', '']) {
        const details = await problems(`/api/reports/positions-ending?from=${value}`);
        expect(details.filter((d) => d.field === 'from').map((d) => d.message)).toEqual([
          'must be a date as YYYY-MM-DD',
        ]);
      }
    });

    it('takes dates of this century only, and answers at its edges', async () => {
      for (const [path, field] of [
        ['/api/reports/positions-ending?from=9999-12-31', 'from'],
        ['/api/reports/expiring-by-week?from=2099-12-25&to=2100-01-01', 'to'],
        ['/api/reports/requests-by-month?from=0001-01-01&to=0001-03-01', 'from'],
        ['/api/reports/unlocks-by-month.csv?from=1999-12-31', 'from'],
      ]) {
        const details = await problems(path ?? '');
        expect(details.find((d) => d.field === field)?.message).toBe(
          'must be a date from 1 Jan 2000 to 31 Dec 2099',
        );
      }
      // Only `from` given late in the century: the period runs from it, never past the end.
      const late = await report<{ period: { from: string; to: string } }>(
        rwg.manager,
        '/api/reports/positions-ending?from=2099-12-31',
      );
      expect(late.period).toEqual({ from: '2099-12-31', to: '2099-12-31' });
      const early = await report<{ months: unknown[] }>(
        rwg.manager,
        '/api/reports/requests-by-month?from=2000-01-01&to=2000-02-29',
      );
      expect(early.months).toHaveLength(2);
    });

    it('answers a hostile CSV filter with the same 400 before any download starts', async () => {
      const res = await get(rwg.manager, '/api/reports/requests-by-month.csv?to=1999-01-01');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('content-disposition')).toBeNull();
    });
  });

  describe('CSV downloads', () => {
    it('hold the same figures as the reports, heading first', async () => {
      const cardsCsv = await csv(rwg.manager, '/api/reports/cards-by-state.csv');
      expect(cardsCsv[0]).toEqual(['ODS code', 'Organisation', 'State', 'Card type', 'Cards']);
      // States in the words the page shows, not their codes.
      for (const r of cardsCsv.slice(1)) expect(r[2]).toMatch(/^[A-Z][a-z, ]+$/);
      expect(cardsCsv.slice(1).map((r) => r[2])).toContain('In stock');
      expect(cardsCsv.slice(1)).toEqual(
        expected(tables, rwgCodes, t.clock.now()).cardsByState.map((r) => [
          r.odsCode,
          r.organisation,
          statusLabel(r.state),
          r.cardType,
          String(r.cards),
        ]),
      );
      const weeks = await csv(national, '/api/reports/expiring-by-week.csv?organisation=RXX01');
      expect(weeks[0]).toEqual(['Week starting', 'Cards expiring']);
      expect(weeks).toHaveLength(28);
      expect(weeks.filter((w) => w[1] !== '0').slice(1)).toEqual([
        ['2026-11-23', '2'],
        ['2026-11-30', '2'],
        ['2027-01-04', '1'],
        ['2027-03-01', '1'],
        ['2027-05-24', '1'],
      ]);
      const requests = await csv(
        rwg.manager,
        '/api/reports/requests-by-month.csv?organisation=RWG02',
      );
      expect(requests.find((r) => r[0] === '2026-10')).toEqual([
        '2026-10',
        '5',
        '3',
        '2',
        '1',
        '1',
        '4',
      ]);
      expect(requests.find((r) => r[0] === '2026-09')).toEqual([
        '2026-09',
        '0',
        '0',
        '0',
        '0',
        '0',
        '',
      ]);
      const unlocks = await csv(
        national,
        '/api/reports/unlocks-by-month.csv?from=2026-10-01&to=2026-10-31',
      );
      expect(unlocks).toEqual([
        ['Month', 'Unlocks', 'Self-service'],
        ['2026-10', '3', '1'],
      ]);
      const systems = await csv(rwg.manager, '/api/reports/system-access.csv');
      expect(systems[0]).toEqual(['System', 'People', 'Positions']);
      expect(systems.slice(1).map((s) => s[0])).toContain('SystmOne');
      expect(systems.slice(1)).toEqual(
        expected(tables, rwgCodes, t.clock.now()).systems.map((s) => [
          systemLabel(s.system),
          String(s.people),
          String(s.positions),
        ]),
      );
    });

    it('lists every position ending, past the JSON’s first 100 and the first batch of 1,000', async () => {
      const rows = await csv(rwg.manager, '/api/reports/positions-ending.csv');
      const oracle = expected(tables, rwgCodes, t.clock.now()).ending;
      expect(oracle.length).toBeGreaterThan(1000);
      expect(rows[0]).toEqual([
        'End date',
        'Name',
        'User ID',
        'Position',
        'ODS code',
        'Organisation',
      ]);
      const neutral = (name: string) => (name.startsWith('=') ? `'${name}` : name);
      expect(rows.slice(1).map((r) => [r[0], r[1], r[3], r[4]])).toEqual(
        oracle.map((o) => [o.endDate, neutral(o.name), o.position, o.odsCode]),
      );
      // Streamed: the body comes in many pieces as the batches are read, not in one.
      const res = await get(rwg.manager, '/api/reports/positions-ending.csv');
      const reader = res.body?.getReader();
      let pieces = 0;
      for (let read = await reader?.read(); read && !read.done; read = await reader?.read()) {
        pieces++;
      }
      expect(pieces).toBeGreaterThan(10);
    });

    it('neutralises a formula in a name with a leading apostrophe', async () => {
      const rows = await csv(sponsor, '/api/reports/positions-ending.csv');
      const injected = rows.filter((r) => r[1]?.includes('cmd|'));
      expect(injected.length).toBeGreaterThan(0);
      for (const row of injected) expect(row[1]).toBe(`'${formulaName} Injected`);
      // No cell of the file starts a formula.
      for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    });
  });
});
