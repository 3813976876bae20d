import { randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinicalSystems } from '../../db/schema/access.ts';
import { organisations } from '../../db/schema/organisations.ts';
import {
  checkCardTallies,
  foldCardTallies,
  foldedBefore,
} from '../../server/services/dashboard/card-tallies.ts';
import { todayOf } from '../../server/services/dates.ts';
import { encodeCursor } from '../../server/services/paging/page-cursor.ts';
import { nameKey, nameKeys } from '../../server/services/people/name-keys.ts';
import { testDrivers } from '../support/databases.ts';
import { post } from '../support/people.ts';
import { activated, secondTrust, type Trust } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * An attack on the session's changes: people search by trigram (a word inside a name) merged
 * by keyset; flags and requests pages cut from one table before their names are joined; the
 * worklist's identity-check count from people.org_codes; the system-access report's bit masks;
 * the tallies fold that rewrites only what it folds; the caller's person memoised per request.
 * Each answer is held to an oracle computed here from the tables themselves.
 */
const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

/** PostgreSQL's C.UTF-8 (and PGlite's C) order: by code point, not by UTF-16 unit. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d) return d;
  }
  return x.length - y.length;
}

const breaks = [' ', '-', "'", '’'];
const serialLike = /^[0-9a-z]{6,64}$/i;

interface Visible {
  id: string;
  user_id: string;
  email: string | null;
  family_key: string;
  given_key: string;
  family_given_key: string;
  given_family_key: string;
}

/** Names registered for the search attacks: [given, family, site]. */
const searchNames: [string, string, string][] = [
  ['Rhea', 'Van Zellweger', 'RWG01'],
  ['Quinn', 'Abbot-Zellweger', 'RWG01'],
  ['Mary', 'Smith-Jones', 'RWG01'],
  ['Anne-Marie', 'Okafor', 'RWG01'],
  ['Liam', "O'Brien", 'RWG01'],
  ['Siobhan', 'O’Connell', 'RWG01'],
  ['Pat', 'Under_Score', 'RWG01'],
  ['Cent', 'Hundred%Per', 'RWG01'],
  ['Slash', 'Back\\Slash', 'RWG01'],
  ['Dot', 'Re.Gex*', 'RWG01'],
  ['Jose\u0301', 'Nu\u0301n\u0303ez', 'RWG01'],
  ['Ｆｕｌｌ', 'Ｗｉｄｔｈ', 'RWG01'],
  ['Ellis', 'Zellner-Two', 'RWG02'],
  ['Ola', 'Di Zelle', 'RWG02'],
  ['Tessa', 'Mc-Zel', 'RWG01'],
  ['Ann', 'Ann Ann', 'RWG01'],
  ['Wing', '\u{20BFF}', 'RWG01'],
  ['Thumbs', 'Up👍🏿', 'RWG01'],
  // The same name three times (told apart by birth date): ties on the whole sort key but id.
  ['Dup', 'Same-Zel', 'RWG01'],
  ['Dup', 'Same-Zel', 'RWG01'],
  ['Dup', 'Same-Zel', 'RWG01'],
  ['Dup', 'Same Zel', 'RWG01'],
];
const otherTrustNames: [string, string, string][] = [
  ['Xavier', 'Crane-Zellweger', 'RXX01'],
  ['Yolanda', 'De Zelle', 'RXX01'],
  ['Zed', 'Smith-Jonesy', 'RXX01'],
];

/** Every query the search attack types: hostile, edge and ordinary. */
const hostileQueries = [
  '',
  '%',
  '%%%',
  '_',
  '___',
  '\\',
  '\\\\',
  '%_\\',
  'a%',
  '_a',
  '%zel',
  'zel%',
  'z_l',
  'under_',
  'under_s',
  'hundred%',
  'hundred%p',
  'back\\',
  'back\\s',
  're.gex*',
  '.*',
  '^zel',
  'zel$',
  '[a-z]+',
  '(?i)ZEL',
  'zel|jon',
  "o'b",
  'o’c',
  "'",
  '"',
  "'; drop table people; --",
  '\u0000',
  'zel\u0000',
  'a'.repeat(10_000),
  'zel'.repeat(34),
  '😀',
  '👍',
  'up👍',
  'nu\u0301n',
  'NÚÑ',
  '\u0301',
  '\u0301\u0301\u0301',
  'e\u0301e\u0301e\u0301',
  '-',
  "'",
  '’',
  "- ' ’",
  '--',
  "''",
  '’’’',
  ' - ',
  '-zel',
  ' zel',
  'zel',
  'ZEL',
  'Zellweger',
  'zellw',
  'ell',
  'well',
  'jon',
  'jones',
  'jones m',
  'smith-j',
  'smith j',
  'marie',
  'marie ok',
  'brien',
  'bri',
  'ó b',
  'o b',
  'van z',
  'zellweger rhea',
  'rhea van',
  'ann',
  'ann ann',
  'ann ann ann',
  'ＺＥＬ',
  'full',
  '\u200bzel',
  '\u202ezel',
  'mc-z',
  'c-zel',
  'smi',
  'morgan',
];

describe.each(testDrivers)('attack on session 13’s changes (%s)', (driver) => {
  let t: TestApp;
  let rxx: Trust;
  let manager: SignedIn;
  let agent: SignedIn;
  let lsa: SignedIn;
  let rxxAgent: SignedIn;
  const exec = async <T = never>(query: SQL) => rowsOf<T>(await t.db.execute(query));
  const get = async (who: SignedIn, path: string) => t.app.request(path, { headers: who.headers });
  const getJson = async <T>(who: SignedIn, path: string): Promise<T> => {
    const res = await get(who, path);
    expect(res.status, `${path} → ${(await res.clone().text()).slice(0, 300)}`).toBe(200);
    return (await res.json()) as T;
  };
  const list = (codes: string[]) =>
    sql.join(
      codes.map((c) => sql`${c}`),
      sql`, `,
    );
  /** An organisation and everything under it. */
  const treeOf = async (root: string) =>
    (
      await exec<{ ods_code: string }>(sql`
        with recursive tree as (
          select ods_code from organisations where ods_code = ${root}
          union select o.ods_code from organisations o join tree on o.parent_ods_code = tree.ods_code)
        select ods_code from tree`)
    ).map((r) => r.ods_code);

  /** A person inserted as the ESR import or the seed would, with their keys and one site. */
  const insertPerson = async (
    given: string,
    family: string,
    site: string,
    extra: { accountId?: string; status?: string } = {},
  ) => {
    const keys = nameKeys(given, family);
    const [row] = await exec<{ id: string }>(sql`
      insert into people (user_id, given_name, family_name, date_of_birth, given_key, family_key,
        family_given_key, given_family_key, status, account_id, created_at, updated_at)
      values (${String(720_000_000_000 + Math.floor(Math.random() * 1e11)).slice(0, 12)}, ${given},
        ${family}, '1988-03-04', ${keys.givenKey}, ${keys.familyKey}, ${keys.familyGivenKey},
        ${keys.givenFamilyKey}, ${extra.status ?? 'active'}, ${extra.accountId ?? null}, now(), now())
      returning id`);
    if (!row) throw new Error('no person inserted');
    await exec(
      sql`insert into person_organisations (person_id, ods_code) values (${row.id}, ${site})`,
    );
    return row.id;
  };

  const position = async (
    who: SignedIn,
    odsCode: string,
    name: string,
    systems: string[],
  ): Promise<string> => {
    const res = await post(t, who, '/api/positions', {
      odsCode,
      name,
      jobRoles: ['R8010'],
      activities: [],
      workgroupIds: [],
      systems,
      assignable: true,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    t = await createTestApp(driver);
    rxx = await secondTrust(t);
    manager = await t.login('manager');
    agent = await t.login('agent');
    lsa = await t.login('lsa');
    const found = rxx.callers.find((c) => c.role === 'ra_agent');
    if (!found) throw new Error('no RA agent in RXX');
    rxxAgent = found.who;
    const idchecker = await t.login('idchecker');
    const rxxChecker = rxx.callers.find((c) => c.role === 'id_checker')?.who;
    if (!rxxChecker) throw new Error('no ID checker in RXX');
    let n = 0;
    for (const [given, family, site] of [...searchNames, ...otherTrustNames]) {
      const res = await post(t, site.startsWith('RXX') ? rxxChecker : idchecker, '/api/people', {
        givenName: given,
        familyName: family,
        dateOfBirth: `1970-01-${String(1 + (n++ % 28)).padStart(2, '0')}`,
        odsCodes: [site],
      });
      expect(res.status, `${given} ${family}: ${await res.clone().text()}`).toBe(201);
    }
    await t.db
      .insert(organisations)
      .values({ odsCode: 'RWG09', name: 'Attack site 13', parentOdsCode: 'RWG' });
  }, 180_000);
  afterAll(() => t?.close());

  // ---------------------------------------------------------------- 1. people search

  /** The people `codes` reach, with their keys: the search's universe for that caller. */
  const visiblePeople = async (codes: string[]) =>
    exec<Visible>(sql`
      select p.id, p.user_id, p.email, p.family_key, p.given_key, p.family_given_key, p.given_family_key
        from people p
       where exists (select 1 from person_organisations po
                      where po.person_id = p.id and po.ods_code in (${list(codes)}))`);

  /**
   * What a search should answer, worked out here: a name matches from the start of the whole
   * name in either order, or from the start of any word (after a space, hyphen or
   * apostrophe); a 12-digit user ID; an email whole; a card serial's start for card readers.
   */
  const expectedSearch = async (q: string, codes: string[], readsCards: boolean) => {
    const people = await visiblePeople(codes);
    const typed = q.trim();
    const digits = typed.replace(/\s/g, '');
    let match: (p: Visible) => boolean;
    if (/^\d{12}$/.test(digits)) match = (p) => p.user_id === digits;
    else if (typed.includes('@')) match = (p) => p.email?.toLowerCase() === typed.toLowerCase();
    else if (typed) {
      const key = nameKey(typed);
      const holders = new Set<string>();
      if (serialLike.test(typed) && readsCards) {
        const cards = await exec<{ person_id: string | null; serial: string }>(
          sql`select person_id, serial from cards where person_id is not null`,
        );
        for (const c of cards)
          if (c.person_id && c.serial.toLowerCase().startsWith(typed.toLowerCase()))
            holders.add(c.person_id);
      }
      match = (p) =>
        p.family_given_key.startsWith(key) ||
        p.given_family_key.startsWith(key) ||
        breaks.some((mark) => p.family_given_key.includes(`${mark}${key}`)) ||
        holders.has(p.id);
    } else match = () => true;
    return people
      .filter(match)
      .sort(
        (a, b) =>
          byCodePoint(a.family_key, b.family_key) ||
          byCodePoint(a.given_key, b.given_key) ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .map((p) => p.id);
  };

  /** Every page of a search at `limit`, following the cursors; the statuses met on the way. */
  const searchAll = async (who: SignedIn, q: string, limit: number) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 500; page++) {
      const res = await get(
        who,
        `/api/people?q=${encodeURIComponent(q)}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const body = await res.text();
      if (res.status !== 200) return { status: res.status, body, ids };
      const json = JSON.parse(body) as { items: { id: string }[]; nextCursor: string | null };
      expect(json.items.length, `${q} limit ${limit}: page size`).toBeLessThanOrEqual(limit);
      ids.push(...json.items.map((i) => i.id));
      cursor = json.nextCursor;
      if (!cursor) return { status: 200, body: '', ids };
    }
    throw new Error(`search ${q}: more than 500 pages`);
  };

  const searchers = () =>
    [
      { name: 'RWG agent', who: agent, root: 'RWG', readsCards: true },
      { name: 'RWG02 LSA', who: lsa, root: 'RWG02', readsCards: true },
      { name: 'RXX agent', who: rxxAgent, root: 'RXX', readsCards: true },
    ] as const;

  it('answers every hostile search with a 400 or exactly the visible matches, in order, on every page size', async () => {
    const failures: string[] = [];
    // Another trust's person by user ID, email and card serial; one of RWG's by user ID.
    const [x] = await exec<{ user_id: string; email: string }>(
      sql`select user_id, email from people where id = ${rxx.records.person}`,
    );
    const [w] = await exec<{ user_id: string }>(
      sql`select user_id from people where given_name = 'Rhea'`,
    );
    const serial = rxx.records.flaggedSerials[0] ?? '';
    const dynamic = [
      x?.user_id ?? '',
      (x?.user_id ?? '').replace(/(\d{4})(?=\d)/g, '$1 '),
      x?.email ?? '',
      (x?.email ?? '').toUpperCase(),
      w?.user_id ?? '',
      ` ${(w?.user_id ?? '').replace(/(\d{4})(?=\d)/g, '$1  ')} `,
      serial,
      serial.slice(0, 6),
      serial.slice(0, 6).toUpperCase(),
      serial.slice(0, 5),
      'dup same',
      'same-zel dup',
      'same',
      'zel dup',
    ];
    for (const s of searchers()) {
      const codes = await treeOf(s.root);
      const visible = new Set((await visiblePeople(codes)).map((p) => p.id));
      for (const q of [...hostileQueries, ...dynamic]) {
        const whole = await searchAll(s.who, q, 100);
        if (whole.status !== 200) {
          if (whole.status !== 400) failures.push(`${s.name} «${q.slice(0, 20)}»: ${whole.status}`);
          else expect(whole.body, q).toContain('"code"');
          continue;
        }
        for (const id of whole.ids)
          if (!visible.has(id))
            failures.push(`${s.name} «${q.slice(0, 20)}»: found ${id}, not theirs`);
        const expected = await expectedSearch(q, codes, s.readsCards);
        if (JSON.stringify(whole.ids) !== JSON.stringify(expected))
          failures.push(
            `${s.name} «${q.slice(0, 20)}»: got ${whole.ids.length} ${JSON.stringify(whole.ids)}, expected ${expected.length} ${JSON.stringify(expected)}`,
          );
        for (const limit of q.length <= 1 || q === 'zel' || q === 'same' ? [1, 2, 3] : [2]) {
          const paged = await searchAll(s.who, q, limit);
          if (JSON.stringify(paged.ids) !== JSON.stringify(whole.ids))
            failures.push(
              `${s.name} «${q.slice(0, 20)}» limit ${limit}: ${paged.status} ${JSON.stringify(paged.ids)} ≠ ${JSON.stringify(whole.ids)}`,
            );
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('finds a word inside a name only in the caller’s own trust', async () => {
    const names = async (who: SignedIn, q: string) =>
      (
        await getJson<{ items: { familyName: string }[] }>(
          who,
          `/api/people?q=${encodeURIComponent(q)}&limit=100`,
        )
      ).items.map((i) => i.familyName);
    expect(await names(agent, 'zellweger')).toEqual(['Abbot-Zellweger', 'Van Zellweger']);
    expect(await names(rxxAgent, 'zellweger')).toEqual(['Crane-Zellweger']);
    expect(await names(agent, 'jones')).toEqual(['Smith-Jones']);
    expect(await names(rxxAgent, 'jones')).toEqual(['Smith-Jonesy']);
    expect(await names(lsa, 'zel')).toEqual(['Di Zelle', 'Zellner-Two']);
    expect((await names(rxxAgent, 'zel')).sort()).toEqual(['Crane-Zellweger', 'De Zelle']);
  });

  it('finds a person by the start of their family name whatever its last character (a CJK ideograph, an emoji modifier)', async () => {
    // A name whose last typed character is a surrogate pair ending in \uDFFF (U+20BFF, an
    // ideograph of Hong Kong names; U+1F3FF, a skin-tone modifier).
    for (const [q, family] of [
      ['\u{20BFF}', '\u{20BFF}'],
      ['Up👍🏿', 'Up👍🏿'],
    ] as const) {
      const { items } = await getJson<{ items: { familyName: string }[] }>(
        agent,
        `/api/people?q=${encodeURIComponent(q)}&limit=100`,
      );
      expect(
        items.map((i) => i.familyName),
        `searching ${JSON.stringify(q)}`,
      ).toEqual([family]);
    }
  });

  it('ignores case in a name typed in capitals that stops after a sigma (Greek)', async () => {
    // Lower-cased alone, a capital sigma ending what was typed becomes a final sigma (ς),
    // while the stored name has σ there: "ΟΔΥΣ" must still find "Οδυσσέας".
    const idchecker = await t.login('idchecker');
    const res = await post(t, idchecker, '/api/people', {
      givenName: 'Οδυσσέας',
      familyName: 'Παπαδόπουλος',
      dateOfBirth: '1975-05-05',
      odsCodes: ['RWG01'],
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    for (const q of ['Οδυσ', 'ΟΔΥΣΣΈΑΣ', 'ΠΑΠΑΔ', 'ΟΔΥΣ', 'ΠΑΠΑΔΟΠΟΥΛΟΣ ΟΔΥΣ']) {
      const { items } = await getJson<{ items: { id: string }[] }>(
        agent,
        `/api/people?q=${encodeURIComponent(q)}&limit=100`,
      );
      expect(
        items.map((i) => i.id),
        `searching ${q}`,
      ).toEqual([id]);
    }
  });

  it('pages through people whose names grow past 1,000 characters as their keys are made (NFKC)', async () => {
    // U+FDFA is one character typed and eighteen once folded: a given name of 100 of them
    // has a key of 1,800 characters, and the page cursor carries the key.
    const idchecker = await t.login('idchecker');
    const given = '\uFDFA'.repeat(100);
    const ids: string[] = [];
    for (const dateOfBirth of ['1961-01-01', '1962-02-02']) {
      const res = await post(t, idchecker, '/api/people', {
        givenName: given,
        familyName: 'Expansion Attack',
        dateOfBirth,
        odsCodes: ['RWG01'],
        duplicateOverride: { reason: 'A different person of the same name' },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const paged = await searchAll(agent, 'expansion attack', 1);
    expect(paged.status, paged.body.slice(0, 300)).toBe(200);
    expect([...paged.ids].sort()).toEqual([...ids].sort());
  });

  it('pages a search without a repeat or a gap while people are registered between pages', async () => {
    const idchecker = await t.login('idchecker');
    const before = (await searchAll(agent, 'zel', 100)).ids;
    expect(before.length).toBeGreaterThan(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    for (let page = 0; page < 100; page++) {
      const json: { items: { id: string }[]; nextCursor: string | null } = await getJson(
        agent,
        `/api/people?q=zel&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...json.items.map((i) => i.id));
      cursor = json.nextCursor;
      if (!cursor) break;
      // One sorting first, one last, one inside a name: each before or after the cursor.
      const [given, family] = [
        ['Aaron', 'Aa-Zelig'],
        ['Zak', 'Zz-Zelig'],
        ['Mid', 'Mm Zelig'],
      ][added % 3] ?? ['X', 'Zelig'];
      const res = await post(t, idchecker, '/api/people', {
        givenName: `${given}${added}`,
        familyName: family,
        dateOfBirth: '1990-09-09',
        odsCodes: ['RWG01'],
      });
      expect(res.status, await res.clone().text()).toBe(201);
      added++;
    }
    expect(new Set(seen).size, 'no person twice').toBe(seen.length);
    for (const id of before) expect(seen, 'a person there from the start').toContain(id);
    // Whatever was seen is in the order of the list as it stands now.
    const after = (await searchAll(agent, 'zel', 100)).ids;
    expect(after.filter((id) => seen.includes(id))).toEqual(seen);
  });

  const badCursors = () => [
    'garbage!',
    'abc',
    '%00',
    'A'.repeat(9000),
    Buffer.from('["a","b"]').toString('base64url'),
    Buffer.from('["a","b","not-a-uuid"]').toString('base64url'),
    Buffer.from('[1,2,3,4]').toString('base64url'),
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from('["a\\u0000","b","00000000-0000-0000-0000-000000000000"]').toString('base64url'),
    // Longer than any name key (100 characters, at most 18-fold under NFKC) can be.
    encodeCursor(['x'.repeat(4001), 'b', '00000000-0000-0000-0000-000000000000']),
    `${encodeCursor(['a', 'b', '00000000-0000-0000-0000-000000000000'])}=`,
    encodeCursor([0, '~', '2026-11-25T09:00:00.000Z', '00000000-0000-0000-0000-000000000000']),
    encodeCursor(['2026-11-25T09:00:00.000Z', '00000000-0000-0000-0000-000000000000']),
  ];

  it('refuses a tampered or foreign cursor with a 400 naming the cursor, on people, flags and requests', async () => {
    const wellFormed = {
      people: encodeCursor(['a', 'b', '00000000-0000-0000-0000-000000000000']),
      flags: encodeCursor([
        0,
        '~',
        '2026-11-25T09:00:00.000Z',
        '00000000-0000-0000-0000-000000000000',
      ]),
      requests: encodeCursor(['2026-11-25T09:00:00.000Z', '00000000-0000-0000-0000-000000000000']),
    };
    for (const [base, own] of [
      ['/api/people?q=zel&', wellFormed.people],
      ['/api/people?', wellFormed.people],
      ['/api/flags?status=all&', wellFormed.flags],
      ['/api/requests?view=inbox&', wellFormed.requests],
      ['/api/requests?view=mine&', wellFormed.requests],
    ] as const) {
      for (const cursor of badCursors()) {
        if (cursor === own) continue;
        const res = await get(manager, `${base}cursor=${encodeURIComponent(cursor)}`);
        const body = await res.text();
        expect(res.status, `${base} ${cursor.slice(0, 40)} → ${body.slice(0, 200)}`).toBe(400);
        expect(body, base).toContain('cursor');
      }
      for (const limit of ['0', '-1', '201', '1e10', 'abc', '1.5', '', '%00']) {
        const res = await get(manager, `${base}limit=${limit}`);
        expect(res.status, `${base} limit=${limit}`).toBe(400);
      }
      // A cursor of the right shape that this server never gave out is a place in the order.
      expect((await get(manager, `${base}cursor=${own}`)).status, base).toBe(200);
    }
  });

  // ---------------------------------------------------------------- 2. flags and requests

  /** The flags a caller should see, counted here from card_flags, people's links and workstations. */
  const expectedFlags = async (
    root: string,
    raStaff: boolean,
    status: 'open' | 'resolved' | 'all',
  ) => {
    const codes = await treeOf(root);
    const rows = await exec<{ id: string }>(sql`
      select f.id from card_flags f left join workstations w on w.id = f.workstation_id
       where (${status === 'all'} or (${status === 'open'} and f.resolved_at is null)
              or (${status === 'resolved'} and f.resolved_at is not null))
         and ((f.person_id is not null and exists (select 1 from person_organisations po
                 where po.person_id = f.person_id and po.ods_code in (${list(codes)})))
           or (${raStaff} and f.person_id is null and w.ods_code in (${list(codes)})))`);
    return rows.map((r) => r.id).sort();
  };

  const flagPages = async (who: SignedIn, query: string, limit: number) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 500; page++) {
      const json: { items: { id: string; card: { serial: string } }[]; nextCursor: string | null } =
        await getJson(
          who,
          `/api/flags?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        );
      expect(json.items.length).toBeLessThanOrEqual(limit);
      ids.push(...json.items.map((i) => i.id));
      cursor = json.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('more than 500 pages of flags');
  };

  it('lists flags only of the caller’s trust, and pages of 1 to 3 walk exactly the one-page list', async () => {
    // Flags with ties on every sort key: same kind, same instant, same notAfter.
    const holders = (
      await exec<{ id: string; ods_code: string }>(sql`
        select p.id, po.ods_code from people p join person_organisations po on po.person_id = p.id
         where po.ods_code in ('RWG01', 'RWG02', 'RXX01') and p.account_id is null order by p.id`)
    ).slice(0, 12);
    const at = t.clock.now().toISOString();
    const kinds = ['pin_blocked', 'certificate_expiring', 'pin_last_try'];
    let i = 0;
    for (const h of holders) {
      for (const kind of kinds) {
        const serial = randomBytes(10).toString('hex');
        const notAfter = i % 3 === 0 ? '2027-01-01T00:00:00.000Z' : '2026-12-20T00:00:00.000Z';
        const details =
          kind === 'certificate_expiring' ? { notAfter, sha256: serial, slot: '9a' } : {};
        await exec(sql`
          insert into card_flags (card_serial, kind, person_id, details, raised_at, last_seen_at, resolved_at)
          values (${serial}, ${kind}, ${h.id}, ${JSON.stringify(details)}::jsonb, ${at}, ${at},
                  ${i % 4 === 0 ? at : null})`);
        i++;
      }
    }
    const rxxSerials = new Set(rxx.records.flaggedSerials);
    for (const [who, root, raStaff] of [
      [manager, 'RWG', true],
      [agent, 'RWG', true],
      [lsa, 'RWG02', false],
      [await t.login('sponsor'), 'RWG01', false],
      [rxx.manager, 'RXX', true],
    ] as const) {
      for (const status of ['open', 'resolved', 'all'] as const) {
        const one: {
          items: { id: string; card: { serial: string } }[];
          nextCursor: string | null;
        } = await getJson(who, `/api/flags?status=${status}&limit=200`);
        expect(one.nextCursor).toBeNull();
        const ids = one.items.map((f) => f.id);
        expect([...ids].sort(), `${root} ${status}`).toEqual(
          await expectedFlags(root, raStaff, status),
        );
        if (root !== 'RXX')
          for (const f of one.items)
            expect(rxxSerials.has(f.card.serial), f.card.serial).toBe(false);
        for (const limit of [1, 2, 3]) {
          const paged = await flagPages(who, `status=${status}`, limit);
          expect(paged, `${root} ${status} limit ${limit}`).toEqual(ids);
        }
        const pinnedOne = (
          await getJson<{ items: { id: string; kind: string }[] }>(
            who,
            `/api/flags?status=${status}&kind=pin_blocked&limit=200`,
          )
        ).items;
        expect(pinnedOne.every((f) => f.kind === 'pin_blocked')).toBe(true);
        expect(pinnedOne.map((f) => f.id)).toEqual(
          one.items.filter((f) => pinnedOne.some((p) => p.id === f.id)).map((f) => f.id),
        );
        expect(await flagPages(who, `status=${status}&kind=pin_blocked`, 2)).toEqual(
          pinnedOne.map((f) => f.id),
        );
      }
    }
  }, 120_000);

  const requestPages = async (who: SignedIn, query: string, limit: number) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const json: { items: { id: string }[]; nextCursor: string | null } = await getJson(
        who,
        `/api/requests?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(json.items.length).toBeLessThanOrEqual(limit);
      ids.push(...json.items.map((i) => i.id));
      cursor = json.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('more than 1000 pages of requests');
  };

  /** The inbox a decider of `root` should see: open or decided in 30 days, of its organisations. */
  const expectedInbox = async (root: string, status?: 'open') => {
    const codes = await treeOf(root);
    const since = new Date(t.clock.now().getTime() - 30 * 86_400_000).toISOString();
    return (
      await exec<{ id: string }>(sql`
        select id from access_requests
         where ods_code in (${list(codes)})
           and (status = 'open' or decided_at > ${since})
           and (${status !== 'open'} or status = 'open')`)
    )
      .map((r) => r.id)
      .sort();
  };

  // ---------------------------------------------------------------- 5. memo (fixtures shared with 2)

  interface Deputy {
    username: string;
    who: SignedIn;
    accountId: string;
    personId: string;
    requests: string[];
  }
  const deputies: Deputy[] = [];
  const memoPositions: string[] = [];

  it('sets up twenty RA agents, each with their own person and requests raised for them', async () => {
    for (let p = 0; p < 5; p++)
      memoPositions.push(await position(manager, 'RWG01', `Attack 13 desk ${p}`, ['esr']));
    for (let i = 0; i < 20; i++) {
      const username = `deputy${i}`;
      const who = await activated(t, username, 'ra_agent', 'RWG');
      const [account] = await exec<{ id: string }>(
        sql`select id from accounts where username = ${username}`,
      );
      if (!account) throw new Error(`no account ${username}`);
      const personId = await insertPerson(
        `Deputy${String.fromCharCode(65 + i)}`,
        'Attack',
        'RWG01',
        {
          accountId: account.id,
        },
      );
      const requests: string[] = [];
      for (let k = 0; k <= i % 3; k++) {
        const res = await post(t, manager, '/api/requests', {
          personId,
          positionId: memoPositions[k],
          note: `for ${username}`,
        });
        expect(res.status, await res.clone().text()).toBe(201);
        requests.push(((await res.json()) as { id: string }).id);
      }
      deputies.push({ username, who, accountId: account.id, personId, requests });
    }
  }, 180_000);

  it('lists requests only of the caller’s trust, and pages of 1 to 3 walk exactly the one-page list', async () => {
    const rwgIds = new Set(await expectedInbox('RWG'));
    const rxxIds = new Set(await expectedInbox('RXX'));
    expect(rwgIds.size).toBeGreaterThan(20);
    expect(rxxIds.has(rxx.records.request)).toBe(true);
    for (const [who, root] of [
      [manager, 'RWG'],
      [agent, 'RWG'],
      [await t.login('sponsor'), 'RWG01'],
      [rxx.manager, 'RXX'],
    ] as const) {
      for (const status of [undefined, 'open'] as const) {
        const query = `view=inbox${status ? `&status=${status}` : ''}`;
        const one = await getJson<{ items: { id: string }[]; nextCursor: string | null }>(
          who,
          `/api/requests?${query}&limit=200`,
        );
        expect(one.nextCursor).toBeNull();
        const ids = one.items.map((r) => r.id);
        expect([...ids].sort(), `${root} ${query}`).toEqual(await expectedInbox(root, status));
        for (const id of ids) expect((root === 'RXX' ? rwgIds : rxxIds).has(id)).toBe(false);
        for (const limit of [1, 2, 3]) {
          expect(await requestPages(who, query, limit), `${root} ${query} limit ${limit}`).toEqual(
            ids,
          );
        }
      }
    }
    // The linked request the page fetches by id: another trust's is not there.
    expect((await get(manager, `/api/requests/${rxx.records.request}`)).status).toBe(404);
    const someRwg = [...rwgIds][0] ?? '';
    expect((await get(rxx.manager, `/api/requests/${someRwg}`)).status).toBe(404);
    // One's own: raised for one, paged at every size.
    const d = deputies[5];
    if (!d) throw new Error('no deputy');
    for (const limit of [1, 2, 3]) {
      expect((await requestPages(d.who, 'view=mine', limit)).sort()).toEqual(
        [...d.requests].sort(),
      );
    }
  }, 120_000);

  /** view=mine, counted here: open or decided in 30 days, raised by the caller or for them. */
  const expectedMine = async (d: Deputy) => {
    const since = new Date(t.clock.now().getTime() - 30 * 86_400_000).toISOString();
    return (
      await exec<{ id: string }>(sql`
        select id from access_requests
         where (raised_by = ${d.accountId} or person_id = ${d.personId})
           and (status = 'open' or decided_at > ${since})`)
    )
      .map((r) => r.id)
      .sort();
  };

  const openRwgRequests = async () =>
    exec<{ id: string; raised_by: string; person_id: string }>(sql`
      select id, raised_by, person_id from access_requests
       where status = 'open' and ods_code in (${list(await treeOf('RWG'))})`);

  it('keeps each caller’s person to their own request when twenty read the worklist and their requests at once', async () => {
    const open = await openRwgRequests();
    const pendingRwg = (
      await exec<{ n: number }>(sql`
        select count(*)::int as n from people p where p.status = 'pending_id_check'
           and exists (select 1 from person_organisations po where po.person_id = p.id
                        and po.ods_code in (${list(await treeOf('RWG'))}))`)
    )[0]?.n;
    const mineOf = new Map<string, string[]>();
    for (const d of deputies) {
      mineOf.set(d.username, await expectedMine(d));
      expect(mineOf.get(d.username)).toEqual([...d.requests].sort());
    }
    for (let round = 0; round < 3; round++) {
      const calls = deputies.flatMap((d) => [
        get(d.who, '/api/worklist').then(async (r) => ({
          d,
          what: 'worklist',
          r,
          body: await r.text(),
        })),
        get(d.who, '/api/requests?view=mine&limit=200').then(async (r) => ({
          d,
          what: 'mine',
          r,
          body: await r.text(),
        })),
      ]);
      for (const { d, what, r, body } of await Promise.all(calls)) {
        expect(r.status, `${d.username} ${what}: ${body.slice(0, 200)}`).toBe(200);
        if (what === 'mine') {
          const ids = (JSON.parse(body) as { items: { id: string }[] }).items.map((i) => i.id);
          expect(ids.sort(), `${d.username}'s own requests`).toEqual(mineOf.get(d.username));
          continue;
        }
        const sections = (
          JSON.parse(body) as {
            sections: {
              kind: string;
              count: number;
              items: { id: string; person?: { id: string } }[];
            }[];
          }
        ).sections;
        const toDecide = sections.find((s) => s.kind === 'requestsToDecide');
        const expected = open.filter(
          (o) => o.raised_by !== d.accountId && o.person_id !== d.personId,
        ).length;
        expect(toDecide?.count, `${d.username}'s requests to decide`).toBe(expected);
        for (const item of toDecide?.items ?? [])
          expect(d.requests, `${d.username} offered their own request`).not.toContain(item.id);
        expect(sections.find((s) => s.kind === 'identityChecks')?.count).toBe(pendingRwg);
      }
    }
  }, 120_000);

  it('answers twenty at once raising a request for themselves or a colleague with the right actions', async () => {
    const [forSelfPosition = '', forOtherPosition = ''] = memoPositions.slice(3);
    const calls = deputies.map((d, i) => {
      const forSelf = i % 2 === 0;
      const other = deputies[(i + 1) % deputies.length];
      const personId = forSelf ? d.personId : (other?.personId ?? '');
      return post(t, d.who, '/api/requests', {
        personId,
        positionId: forSelf ? forSelfPosition : forOtherPosition,
        note: 'memo',
      }).then(async (r) => ({ d, personId, status: r.status, body: await r.text() }));
    });
    for (const { d, personId, status, body } of await Promise.all(calls)) {
      expect(status, `${d.username} ${body.slice(0, 200)}`).toBe(201);
      const view = JSON.parse(body) as {
        person: { id: string };
        raisedBy: { username: string };
        actions: string[];
      };
      expect(view.person.id).toBe(personId);
      expect(view.raisedBy.username).toBe(d.username);
      // Raised by them (and for them, or a colleague): withdraw, never decide.
      expect(view.actions, d.username).toEqual(['withdraw']);
    }
    const mine = await Promise.all(
      deputies.map(async (d) => ({
        d,
        ids: (
          await getJson<{ items: { id: string }[] }>(d.who, '/api/requests?view=mine&limit=200')
        ).items.map((i) => i.id),
      })),
    );
    for (const { d, ids } of mine) expect(ids.sort(), d.username).toEqual(await expectedMine(d));
  }, 120_000);

  it('lets twenty at once fetch their own and colleagues’ requests by id, never another trust’s', async () => {
    const calls = deputies.flatMap((d, i) => {
      const colleague = deputies[(i + 7) % deputies.length];
      return [
        ...d.requests.map((id) =>
          get(d.who, `/api/requests/${id}`).then((r) => ({ d, id, own: true, status: r.status })),
        ),
        ...(colleague?.requests ?? [])
          .filter((id) => !d.requests.includes(id))
          .map((id) =>
            get(d.who, `/api/requests/${id}`).then((r) => ({
              d,
              id,
              own: false,
              status: r.status,
            })),
          ),
      ];
    });
    const results = await Promise.all(calls);
    // An RA agent of RWG may read every RWG request (they decide them): what matters here is
    // that a request for them is theirs, and another trust's is never anyone's here.
    for (const r of results) expect(r.status, `${r.d.username} ${r.id}`).toBe(200);
    const foreign = await Promise.all(
      deputies.map((d) => get(d.who, `/api/requests/${rxx.records.request}`).then((r) => r.status)),
    );
    expect(foreign).toEqual(deputies.map(() => 404));
  });

  it('pages requests without a repeat or a gap while new ones are raised between pages', async () => {
    const before = await requestPages(manager, 'view=inbox', 200);
    const seen: string[] = [];
    let cursor: string | null = null;
    let raised = 0;
    for (let page = 0; page < 200; page++) {
      const json: { items: { id: string }[]; nextCursor: string | null } = await getJson(
        manager,
        `/api/requests?view=inbox&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...json.items.map((i) => i.id));
      cursor = json.nextCursor;
      if (!cursor) break;
      if (raised < 4) {
        // Raised now, a millisecond on: newest first, so before every page still to come.
        t.clock.advance(1);
        const d = deputies[raised];
        const res = await post(t, d?.who ?? manager, '/api/requests', {
          // Odd deputies' people have no request of this position yet.
          personId: deputies[(2 * raised + 11) % deputies.length]?.personId,
          positionId: memoPositions[4],
          note: 'between pages',
        });
        expect(res.status, await res.clone().text()).toBe(201);
        raised++;
      }
    }
    expect(new Set(seen).size, 'no request twice').toBe(seen.length);
    expect(seen).toEqual(before);
  });

  it('counts identity checks waiting by the people’s organisations as they change', async () => {
    const expectedPending = async (root: string) =>
      (
        await exec<{ n: number }>(sql`
          select count(*)::int as n from people p where p.status = 'pending_id_check'
             and exists (select 1 from person_organisations po where po.person_id = p.id
                          and po.ods_code in (${list(await treeOf(root))}))`)
      )[0]?.n;
    const counts = async () => {
      const of = async (who: SignedIn) =>
        (
          await getJson<{ sections: { kind: string; count: number }[] }>(who, '/api/worklist')
        ).sections.find((s) => s.kind === 'identityChecks')?.count;
      return { rwg: await of(manager), rxx: await of(rxx.manager) };
    };
    const oracle = async () => ({
      rwg: await expectedPending('RWG'),
      rxx: await expectedPending('RXX'),
    });
    expect(await counts()).toEqual(await oracle());
    const waiting = await insertPerson('Pending', 'Attack Thirteen', 'RWG01', {
      status: 'pending_id_check',
    });
    expect(await counts()).toEqual(await oracle());
    // Linked to RXX too (an ESR change), then moved off RWG altogether, then to RWG09.
    await exec(
      sql`insert into person_organisations (person_id, ods_code) values (${waiting}, 'RXX01')`,
    );
    expect(await counts()).toEqual(await oracle());
    await exec(
      sql`delete from person_organisations where person_id = ${waiting} and ods_code = 'RWG01'`,
    );
    const after = await counts();
    expect(after).toEqual(await oracle());
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`delete from person_organisations where person_id = ${waiting}`);
      await tx.execute(
        sql`insert into person_organisations (person_id, ods_code) values (${waiting}, 'RWG09')`,
      );
    });
    expect(await counts()).toEqual(await oracle());
    await exec(sql`update people set status = 'active' where id = ${waiting}`);
    expect(await counts()).toEqual(await oracle());
  });

  // ---------------------------------------------------------------- 3. system access

  it('counts people with access to each system as a count made here does', async () => {
    const today = todayOf(t.clock.now());
    const day = (n: number) => {
      const d = new Date(`${today}T12:00:00Z`);
      d.setUTCDate(d.getUTCDate() + n);
      return d.toISOString().slice(0, 10);
    };
    const sa1 = await position(manager, 'RWG01', 'Attack 13 two systems', ['systmone', 'pacs']);
    const sa2 = await position(manager, 'RWG01', 'Attack 13 systmone', ['systmone']);
    const sa3 = await position(manager, 'RWG01', 'Attack 13 no systems', []);
    const sa4 = await position(manager, 'RWG01', 'Attack 13 to close', ['ers']);
    const sa5 = await position(manager, 'RWG02', 'Attack 13 site two', ['sus', 'ers']);
    const sx = await position(rxx.manager, 'RXX01', 'Attack 13 Crossfield', [
      'systmone',
      'pacs',
      'sus',
    ]);
    const who = async (name: string, site: string) => insertPerson(name, 'Access Attack', site);
    const assign = async (
      personId: string,
      positionId: string,
      start: string,
      end: string | null = null,
      ended = false,
    ) =>
      exec(sql`
        insert into assignments (person_id, position_id, start_date, end_date, ended_at, end_reason, created_at)
        values (${personId}, ${positionId}, ${start}, ${end}, ${ended ? t.clock.now().toISOString() : null},
                ${ended ? 'removed' : null}, now())`);
    const both = await who('Both', 'RWG01');
    await assign(both, sa1, day(-30));
    await assign(both, sa2, day(-10));
    await assign(both, sa5, day(0), day(0)); // starts and ends today: held
    await assign(await who('Future', 'RWG01'), sa1, day(1));
    await assign(await who('Ended', 'RWG01'), sa2, day(-30), null, true);
    await assign(await who('Lapsed', 'RWG01'), sa1, day(-30), day(-1));
    await assign(await who('Nothing', 'RWG01'), sa3, day(-3));
    const closer = await who('Closed', 'RWG01');
    await assign(closer, sa4, day(-3));
    await exec(sql`update positions set status = 'closed', closed_at = now() where id = ${sa4}`);
    const crosser = await who('Crosser', 'RWG01');
    await exec(
      sql`insert into person_organisations (person_id, ods_code) values (${crosser}, 'RXX01')`,
    );
    await assign(crosser, sa2, day(-1));
    await assign(crosser, sx, day(-1));
    await assign(await who('Crossfield', 'RXX01'), sx, day(-5), day(5));

    /** The report counted here from every assignment and position row. */
    const oracle = async (codes: string[]) => {
      const rows = await exec<{
        person_id: string;
        position_id: string;
        start_date: string | Date;
        end_date: string | Date | null;
        ended_at: unknown;
        systems: string[] | string;
        status: string;
        ods_code: string;
      }>(sql`
        select a.person_id, a.position_id, a.start_date::text as start_date, a.end_date::text as end_date,
               a.ended_at, p.systems, p.status, p.ods_code
          from assignments a join positions p on p.id = a.position_id`);
      const people = new Map<string, Set<string>>();
      const positions = new Map<string, Set<string>>();
      for (const r of rows) {
        const held =
          r.ended_at === null &&
          String(r.start_date) <= today &&
          (r.end_date === null || String(r.end_date) >= today);
        if (!held || r.status !== 'active' || !codes.includes(r.ods_code)) continue;
        const systems = Array.isArray(r.systems)
          ? r.systems
          : String(r.systems).replace(/[{}]/g, '').split(',').filter(Boolean);
        for (const s of systems) {
          people.set(s, (people.get(s) ?? new Set()).add(r.person_id));
          positions.set(s, (positions.get(s) ?? new Set()).add(r.position_id));
        }
      }
      return clinicalSystems.map((system) => ({
        system,
        people: people.get(system)?.size ?? 0,
        positions: positions.get(system)?.size ?? 0,
      }));
    };
    const report = async (caller: SignedIn, filter: string[]) => {
      const q = filter.map((f) => `organisation=${f}`).join('&');
      return (
        await getJson<{ systems: unknown[] }>(
          caller,
          `/api/reports/system-access${q ? `?${q}` : ''}`,
        )
      ).systems;
    };
    const rwgTree = await treeOf('RWG');
    const sponsor = await t.login('sponsor');
    for (const [caller, filter, codes] of [
      [manager, [], rwgTree],
      [manager, ['RWG'], rwgTree],
      [manager, ['RWG01'], await treeOf('RWG01')],
      [manager, ['RWG02'], await treeOf('RWG02')],
      [manager, ['RWG01', 'RWG02'], [...(await treeOf('RWG01')), ...(await treeOf('RWG02'))]],
      [rxx.manager, [], await treeOf('RXX')],
      [rxx.manager, ['RXX01'], await treeOf('RXX01')],
      // A sponsor's reach is their organisation alone.
      [sponsor, [], ['RWG01']],
      [sponsor, ['RWG01'], ['RWG01']],
    ] as const) {
      expect(await report(caller, [...filter]), `${filter.join(',') || 'all'}`).toEqual(
        await oracle([...codes]),
      );
    }
    // The numbers this test built, by hand: RWG01's systmone is Both and Crosser (a person with
    // two positions opening it counted once); pacs only Both; nobody else's assignment counts.
    const rwg01 = (await report(manager, ['RWG01'])) as {
      system: string;
      people: number;
      positions: number;
    }[];
    const base = (await oracle(await treeOf('RWG01'))).map((r) => r.system);
    expect(base).toEqual([...clinicalSystems]);
    expect(rwg01.find((r) => r.system === 'ers')?.people).toBe(
      (await oracle(await treeOf('RWG01'))).find((r) => r.system === 'ers')?.people,
    );
    for (const code of ['RXX', 'RXX01'])
      expect((await get(manager, `/api/reports/system-access?organisation=${code}`)).status).toBe(
        403,
      );
    for (const code of ['RWG', 'RWG01'])
      expect(
        (await get(rxx.manager, `/api/reports/system-access?organisation=${code}`)).status,
      ).toBe(403);
    for (const code of ['RWG', 'RWG02'])
      expect((await get(sponsor, `/api/reports/system-access?organisation=${code}`)).status).toBe(
        403,
      );
  });

  // ---------------------------------------------------------------- 4. fold

  /** Every tally row's version: a fold that writes nothing leaves them all as they were. */
  const versions = async () =>
    (
      await exec<{ v: string }>(sql`
        select v from (
          select 's' || xmin::text || ctid::text as v from card_state_tallies
          union all select 'e' || xmin::text || ctid::text from card_expiry_tallies
          union all select 'f' || xmin::text || ctid::text from card_flag_tallies
          union all select 'k' || xmin::text || ctid::text from card_stock_tallies) r order by v`)
    ).map((r) => r.v);

  const dashboard = async (who: SignedIn) => {
    const d = await getJson<{
      cardsByState: unknown;
      expiry: { buckets: unknown };
      openFlags: unknown;
    }>(who, '/api/dashboard');
    return { states: d.cardsByState, buckets: d.expiry.buckets, flags: d.openFlags };
  };

  it('folds the tallies right beside card moves and link changes, and a quiet fold changes no row', async () => {
    const holders = (
      await exec<{ id: string }>(sql`
        select distinct p.id from people p join person_organisations po on po.person_id = p.id
         where po.ods_code = 'RWG01' and p.account_id is null and p.status = 'active' order by p.id limit 6`)
    ).map((r) => r.id);
    const serials: string[] = [];
    const now = t.clock.now();
    for (const [i, h] of holders.entries()) {
      for (const state of ['active', 'suspended', 'blocked']) {
        const s = randomBytes(12).toString('hex');
        const expires = new Date(now.getTime() + (i * 7 - 10) * 86_400_000).toISOString();
        await exec(sql`
          insert into cards (serial, person_id, state, expires_at, created_at, updated_at)
          values (${s}, ${h}, ${state}, ${expires}, ${now.toISOString()}, ${now.toISOString()})`);
        serials.push(s);
      }
    }
    // Cards in stock too, at a location and at none (card_stock_tallies, whose key may be null).
    const [location] = await exec<{ id: string }>(sql`
      insert into card_locations (ods_code, name, created_at)
      values ('RWG', 'Attack 13 safe', ${now.toISOString()}) returning id`);
    for (let i = 0; i < 6; i++) {
      const s = randomBytes(12).toString('hex');
      await exec(sql`
        insert into cards (serial, person_id, location_id, state, created_at, updated_at)
        values (${s}, null, ${i % 2 ? (location?.id ?? null) : null}, 'in_stock', ${now.toISOString()},
                ${now.toISOString()})`);
      serials.push(s);
    }
    const states = ['active', 'suspended', 'blocked'];
    const stockStates = ['in_stock', 'returned', 'destroyed'];
    const rounds = driver === 'postgres' ? 3 : 1;
    for (let round = 0; round < rounds; round++) {
      const work: Promise<unknown>[] = [];
      const errors: string[] = [];
      const note = (what: string) => (e: Error & { cause?: { message?: string } }) => {
        errors.push(`${what}: ${e.cause?.message ?? e.message}`);
      };
      for (let i = 0; i < 20; i++) {
        const s = serials[(i + round) % serials.length] ?? '';
        const h = holders[i % holders.length] ?? '';
        const stock = serials.indexOf(s) >= holders.length * 3;
        const state = (stock ? stockStates : states)[(i + round) % 3] ?? 'active';
        // A stock card also moves between the safe and no location.
        const move = () =>
          exec(sql`update cards set state = ${state}, updated_at = now(),
                     location_id = ${stock && i % 3 === 0 ? null : sql`location_id`} where serial = ${s}`);
        const link = () =>
          t.db.transaction(async (tx) => {
            await tx.execute(sql`update people set updated_at = now() where id = ${h}`);
            if ((i + round) % 2)
              await tx.execute(sql`insert into person_organisations (person_id, ods_code)
                values (${h}, 'RWG09') on conflict do nothing`);
            else
              await tx.execute(
                sql`delete from person_organisations where person_id = ${h} and ods_code = 'RWG09'`,
              );
          });
        if (driver === 'postgres') {
          work.push(foldCardTallies(t.ctx).catch(note(`fold ${i}`)));
          work.push(move().catch(note(`move ${s}`)));
          if (i % 2) work.push(link().catch(note(`link ${h}`)));
        } else {
          await foldCardTallies(t.ctx);
          await move();
          if (i % 2) await link();
        }
      }
      await Promise.all(work);
      expect(errors, `round ${round}`).toEqual([]);
      const seen = { rwg: await dashboard(manager), rxx: await dashboard(rxx.manager) };
      expect((await checkCardTallies(t.ctx)).wrong, `round ${round}: tallies wrong`).toBe(0);
      expect({ rwg: await dashboard(manager), rxx: await dashboard(rxx.manager) }).toEqual(seen);
    }
    // Settled: one fold takes what the check left; then folds with nothing to do write nothing,
    // alone or twenty at once.
    await foldCardTallies(t.ctx);
    const before = await versions();
    expect(before.length).toBeGreaterThan(0);
    expect((await foldCardTallies(t.ctx)).folded).toBe(0);
    expect(await versions()).toEqual(before);
    if (driver === 'postgres') {
      const quiet = await Promise.all(Array.from({ length: 20 }, () => foldCardTallies(t.ctx)));
      expect(quiet.map((q) => q.folded)).toEqual(Array(20).fill(0));
      expect(await versions()).toEqual(before);
    }
    expect((await checkCardTallies(t.ctx)).wrong).toBe(0);
  }, 180_000);

  it('moves a lone expiry day past the week into the folded row as days pass, and counts stay right', async () => {
    const [holder] = await exec<{ id: string }>(sql`
      select p.id from people p join person_organisations po on po.person_id = p.id
       where po.ods_code = 'RWG01' and p.account_id is null and p.status = 'active' order by p.id limit 1`);
    const now = t.clock.now();
    // Expired 6 days ago and 5 days ago: kept by day now, folded after two and three days.
    for (const daysAgo of [6, 5]) {
      const expires = new Date(now.getTime() - daysAgo * 86_400_000).toISOString();
      await exec(sql`
        insert into cards (serial, person_id, state, expires_at, created_at, updated_at)
        values (${randomBytes(12).toString('hex')}, ${holder?.id ?? null}, 'active', ${expires},
                ${now.toISOString()}, ${now.toISOString()})`);
    }
    await foldCardTallies(t.ctx);
    const quiet = await versions();
    expect((await foldCardTallies(t.ctx)).folded).toBe(0);
    expect(await versions()).toEqual(quiet);
    try {
      for (const step of [1, 1, 1, 2]) {
        t.clock.advance(step * 86_400_000);
        manager = await t.login('manager');
        const seen = await dashboard(manager);
        await foldCardTallies(t.ctx);
        const settled = await versions();
        // Folding changes no count, and a second fold the same day writes nothing.
        expect(await dashboard(manager), `${step} day(s) on`).toEqual(seen);
        expect((await foldCardTallies(t.ctx)).folded).toBe(0);
        expect(await versions()).toEqual(settled);
        expect((await checkCardTallies(t.ctx)).wrong, `${step} day(s) on`).toBe(0);
        expect(await dashboard(manager)).toEqual(seen);
        const [lone] = await exec<{ n: number }>(sql`
          select count(*)::int as n from card_expiry_tallies
           where expires_on < ${foldedBefore(t.clock.now())}::date and expires_on <> '-infinity'::date`);
        expect(lone?.n, 'expiry days left unfolded past the week').toBe(0);
      }
    } finally {
      // The sessions the tests after this one use, signed in again on the moved clock.
      manager = await t.login('manager');
      agent = await t.login('agent');
      lsa = await t.login('lsa');
      rxxAgent = await t.login('rxx.ra-agent', 'correct horse battery');
    }
  });

  // PGlite has one connection: nothing runs at once there.
  if (driver === 'postgres') {
    it('keeps people.org_codes equal to a person’s links when two imports add an organisation to them at once', async () => {
      // As apply-esr-rows.ts writes an organisation-only change (a person already known by
      // their employee number, now also working elsewhere): the link alone, with no write to
      // the person's row first. Two trusts' imports doing so for one person at once.
      const person = await insertPerson('Racing', 'Links Attack', 'RWG01');
      let first: () => void = () => {};
      const linked = new Promise<void>((resolve) => {
        first = resolve;
      });
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const one = t.db.transaction(async (tx) => {
        await tx.execute(sql`insert into person_organisations (person_id, ods_code)
          values (${person}, 'RWG02') on conflict do nothing`);
        first();
        await held;
      });
      await linked;
      const two = t.db.transaction(async (tx) => {
        await tx.execute(sql`insert into person_organisations (person_id, ods_code)
          values (${person}, 'RXX01') on conflict do nothing`);
      });
      // The second waits on the first's write of the person's org_codes.
      await waitFor(
        async () =>
          ((
            await exec<{ n: number }>(sql`
              select count(*)::int as n from pg_stat_activity
               where datname = current_database() and wait_event_type = 'Lock'`)
          )[0]?.n ?? 0) > 0,
        'the second link to wait for the first',
      );
      release();
      await Promise.all([one, two]);
      const [row] = await exec<{ org_codes: string[] | string }>(
        sql`select org_codes from people where id = ${person}`,
      );
      const links = (
        await exec<{ ods_code: string }>(
          sql`select ods_code from person_organisations where person_id = ${person} order by ods_code`,
        )
      ).map((r) => r.ods_code);
      expect(links).toEqual(['RWG01', 'RWG02', 'RXX01']);
      const codes = Array.isArray(row?.org_codes)
        ? row.org_codes
        : String(row?.org_codes ?? '')
            .replace(/[{}]/g, '')
            .split(',');
      expect(codes, 'people.org_codes after both links').toEqual(links);
      // What that means to callers: each trust's search finds the person by name.
      for (const who of [agent, lsa, rxxAgent]) {
        const { items } = await getJson<{ items: { id: string }[] }>(
          who,
          '/api/people?q=links%20attack&limit=100',
        );
        expect(items.map((i) => i.id)).toEqual([person]);
      }
    });
  }
});
