import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { openDatabase } from '../../db/client.ts';
import { clinicalSystems } from '../../db/schema/access.ts';
import { roleNames } from '../../db/schema/accounts.ts';
import { currentHashVersion, genesisHash, keyedAuditHash } from '../services/audit/audit-hash.ts';
import { deriveAuditKeys } from '../services/audit/audit-keys.ts';
import { signCheckpoint } from '../services/audit/checkpoints.ts';
import { hashPassword } from '../services/auth/passwords.ts';
import { nameKeys } from '../services/people/name-keys.ts';
import { restore, setAside } from './scale/bulk-load.ts';
import { type CopyValue, copyRows } from './scale/copy-rows.ts';
import {
  departments,
  familyNames,
  givenNames,
  jobTitles,
  middleNames,
  places,
  zipfPicker,
} from './scale/names.ts';
import { scalePassword } from './scale/scale-password.ts';

const usage = `Fills a PostgreSQL database with a nation's worth of RA data, for npm run bench:api.

  DATABASE_URL=postgres://…/scale AUDIT_KEY=… npm run seed:scale -- --people N [--trusts 60] [--reset]

Organisations (trusts with two sites each), RA staff accounts, people, positions and their
links, assignments, requests, card locations, cards and certificates in every state and
expiry bucket, workstations, card flags and a valid keyed audit trail (about 3.5 events a
person) with a signed checkpoint at its head. PostgreSQL only; refuses a database that holds
data unless --reset (which drops everything in it first). Every seeded account's password
is printed at the end.`;

const tables = [
  'organisations',
  'workgroups',
  'accounts',
  'account_roles',
  'people',
  'person_organisations',
  'identity_checks',
  'positions',
  'position_job_roles',
  'position_activities',
  'position_workgroups',
  'assignments',
  'access_requests',
  'card_locations',
  'cards',
  'certificates',
  'workstations',
  'card_flags',
  'audit_events',
] as const;

/** Tables whose triggers keep running counts (db/migrations/0016, 0023): off while the seed writes. */
const countedTables = ['cards', 'card_flags', 'person_organisations', 'assignments', 'positions'];

/** mulberry32: a small seeded generator, so two runs of the same size hold the same shape. */
function generator(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const day = 86_400_000;

async function main() {
  const { values } = parseArgs({
    options: {
      people: { type: 'string' },
      trusts: { type: 'string', default: '60' },
      reset: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const peopleCount = Number(values.people);
  const trustCount = Number(values.trusts);
  if (!Number.isSafeInteger(peopleCount) || peopleCount < 100) {
    console.error(`--people N is needed (100 or more).\n\n${usage}`);
    process.exit(2);
  }
  if (!Number.isSafeInteger(trustCount) || trustCount < 1 || trustCount > places.length) {
    console.error(`--trusts is 1 to ${places.length}.`);
    process.exit(2);
  }
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//.test(url)) {
    console.error(
      'seed:scale fills PostgreSQL only: set DATABASE_URL=postgres://… (the embedded PGlite is not for a nation).',
    );
    process.exit(2);
  }
  const auditKey = process.env.AUDIT_KEY;
  if (!auditKey || auditKey.length < 32) {
    console.error(
      'AUDIT_KEY (32+ characters) is needed: the seeded audit trail is chained and checkpointed with it, so give the server the same one.',
    );
    process.exit(2);
  }
  const keys = deriveAuditKeys(auditKey);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const started = performance.now();
  const timings: [string, number, number][] = [];
  const timed = async (what: string, run: () => Promise<number>) => {
    const t0 = performance.now();
    const rows = await run();
    const ms = performance.now() - t0;
    timings.push([what, rows, ms]);
    console.log(
      `${what.padEnd(24)} ${String(rows).padStart(10)} rows  ${(ms / 1000).toFixed(1)} s`,
    );
  };

  try {
    const [held] = await sql<{ held: boolean }[]>`
      select exists (select 1 from information_schema.tables
                     where table_schema = 'public' and table_name = 'organisations') as held`;
    if (held?.held) {
      const [any] = await sql<{ any: boolean }[]>`
        select exists (select 1 from organisations) or exists (select 1 from people)
            or exists (select 1 from audit_events) as any`;
      if (any?.any && !values.reset) {
        console.error(
          'This database already holds data: give --reset to drop everything in it and seed afresh.',
        );
        process.exit(2);
      }
    }
    if (values.reset) {
      await sql`drop schema if exists drizzle cascade`;
      await sql`drop schema public cascade`;
      await sql`create schema public`;
    }
    const handle = await openDatabase({ driver: 'postgres', url, maxConnections: 1 });
    await handle.migrate();
    await handle.close();
    await sql`set synchronous_commit = off`;
    await sql`set maintenance_work_mem = '512MB'`;
    const aside = await setAside(sql, tables);
    // The dashboard's running counts (db/migrations/0016) and the system-access report's
    // (0023) are kept by triggers: off while COPY writes, then counted once from what was written.
    for (const table of countedTables) {
      await sql.unsafe(`alter table ${table} disable trigger user`);
    }

    const random = generator(20261130);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const now = Date.now();
    const hex = (bytes: number) => randomBytes(bytes).toString('hex');

    // Organisations: each trust and two sites.
    const trusts = places.slice(0, trustCount).map((place, i) => ({
      ods: `R${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`,
      name: `${place} NHS Foundation Trust`,
    }));
    const siteOf = (t: number, s: number) => `${trusts[t]?.ods}0${s + 1}`;
    await timed('organisations', () =>
      copyRows(
        sql,
        'organisations',
        ['ods_code', 'name', 'parent_ods_code', 'status', 'created_at'],
        (function* () {
          for (const [t, trust] of trusts.entries()) {
            yield [trust.ods, trust.name, null, 'active', new Date(now - 2000 * day)];
            for (const s of [0, 1]) {
              yield [
                siteOf(t, s),
                `${trust.name.replace(' NHS Foundation Trust', '')} site ${s + 1}`,
                trust.ods,
                'active',
                new Date(now - 2000 * day),
              ];
            }
          }
        })(),
      ),
    );

    const workgroupIds = trusts.map(() => departments.map(() => randomUUID()));
    await timed('workgroups', () =>
      copyRows(
        sql,
        'workgroups',
        ['id', 'ods_code', 'parent_id', 'name', 'status', 'created_at'],
        (function* () {
          for (const [t, trust] of trusts.entries()) {
            for (const [d, name] of departments.entries()) {
              yield [
                workgroupIds[t]?.[d] ?? '',
                trust.ods,
                null,
                name,
                'active',
                new Date(now - 1900 * day),
              ];
            }
          }
        })(),
      ),
    );

    // RA staff: per trust a manager, an advanced agent, an agent, an ID checker, a sponsor and
    // an LSA (at its first site); one national RA manager (a role held with no organisation).
    const passwordHash = await hashPassword(scalePassword);
    const staffRoles = [
      'ra_manager',
      'ra_agent_advanced',
      'ra_agent',
      'id_checker',
      'sponsor',
      'lsa',
    ] as const;
    const accountOf = trusts.map(
      () =>
        Object.fromEntries(staffRoles.map((r) => [r, randomUUID()])) as Record<
          (typeof staffRoles)[number],
          string
        >,
    );
    const nationalId = randomUUID();
    const usernameOf = (t: number, role: string) =>
      `${role.replace(/_/g, '-')}.${trusts[t]?.ods.toLowerCase()}`;
    await timed('accounts', () =>
      copyRows(
        sql,
        'accounts',
        ['id', 'username', 'display_name', 'email', 'password_hash', 'status', 'created_at'],
        (function* () {
          yield [
            nationalId,
            'national',
            'National RA Manager',
            'national@nhs.net',
            passwordHash,
            'active',
            new Date(now - 2000 * day),
          ];
          for (const [t] of trusts.entries()) {
            for (const role of staffRoles) {
              const username = usernameOf(t, role);
              yield [
                accountOf[t]?.[role] ?? '',
                username,
                `${role} ${trusts[t]?.ods}`,
                `${username}@nhs.net`,
                passwordHash,
                'active',
                new Date(now - 2000 * day),
              ];
            }
          }
        })(),
      ),
    );
    await timed('account_roles', () =>
      copyRows(
        sql,
        'account_roles',
        ['id', 'account_id', 'role', 'ods_code', 'granted_at'],
        (function* () {
          yield [randomUUID(), nationalId, 'ra_manager', null, new Date(now - 2000 * day)];
          for (const [t, trust] of trusts.entries()) {
            for (const role of staffRoles) {
              if (!roleNames.includes(role)) continue;
              yield [
                randomUUID(),
                accountOf[t]?.[role] ?? '',
                role,
                role === 'lsa' ? siteOf(t, 0) : trust.ods,
                new Date(now - 2000 * day),
              ];
            }
          }
        })(),
      ),
    );

    // People: trusts of different sizes; statuses mostly active.
    const trustWeights = trusts.map(() => 0.4 + random());
    const weightTotal = trustWeights.reduce((a, b) => a + b, 0);
    const trustCumulative: number[] = [];
    let runningWeight = 0;
    for (const w of trustWeights) {
      runningWeight += w;
      trustCumulative.push(runningWeight / weightTotal);
    }
    const pickTrust = () => {
      const u = random();
      const t = trustCumulative.findIndex((c) => u <= c);
      return t < 0 ? trusts.length - 1 : t;
    };
    const familyPick = zipfPicker(familyNames);
    const givenPick = zipfPicker(givenNames);
    const personId: string[] = new Array(peopleCount);
    const personUserId: string[] = new Array(peopleCount);
    const personName: string[] = new Array(peopleCount);
    const personTrust = new Uint16Array(peopleCount);
    const personSite = new Int8Array(peopleCount);
    // 0 pending_id_check, 1 active, 2 suspended, 3 closed
    const personStatus = new Uint8Array(peopleCount);
    const statusNames = ['pending_id_check', 'active', 'suspended', 'closed'] as const;
    const createdAtOf = new Float64Array(peopleCount);
    await timed('people', () =>
      copyRows(
        sql,
        'people',
        [
          'id',
          'user_id',
          'given_name',
          'middle_names',
          'family_name',
          'date_of_birth',
          'email',
          'phone',
          'status',
          'given_key',
          'family_key',
          'family_given_key',
          'given_family_key',
          'created_at',
          'created_by',
          'updated_at',
        ],
        (function* () {
          for (let i = 0; i < peopleCount; i++) {
            const id = randomUUID();
            // An affine map of i onto 12-digit numbers: unique, and scattered like real IDs.
            const userId = String(
              100_000_000_000n + ((BigInt(i) * 736_481_923_117n + 219_004_877n) % 899_999_999_989n),
            );
            const given = givenPick(random());
            const family = familyPick(random());
            const u = random();
            const status = u < 0.02 ? 0 : u < 0.95 ? 1 : u < 0.96 ? 2 : 3;
            const t = pickTrust();
            const site = random() < 0.12 ? Math.floor(random() * 2) : -1;
            const createdAt = now - Math.floor(random() * 1800) * day - Math.floor(random() * day);
            personId[i] = id;
            personUserId[i] = userId;
            personName[i] = `${given} ${family}`;
            personTrust[i] = t;
            personSite[i] = site;
            personStatus[i] = status;
            createdAtOf[i] = createdAt;
            const k = nameKeys(given, family);
            const year = 1958 + Math.floor(random() * 46);
            const dob = `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
            const emailName = `${k.givenKey}.${k.familyKey}`.replace(/[^a-z.]/g, '');
            yield [
              id,
              userId,
              given,
              random() < 0.2 ? pick(middleNames) : null,
              family,
              dob,
              `${emailName}${i}@nhs.net`,
              random() < 0.5 ? `07${String(100_000_000 + i).slice(-9)}` : null,
              statusNames[status] ?? 'active',
              k.givenKey,
              k.familyKey,
              k.familyGivenKey,
              k.givenFamilyKey,
              new Date(createdAt),
              accountOf[t]?.id_checker ?? null,
              new Date(createdAt + day),
            ];
          }
        })(),
      ),
    );
    await timed('person_organisations', () =>
      copyRows(
        sql,
        'person_organisations',
        ['person_id', 'ods_code'],
        (function* () {
          for (let i = 0; i < peopleCount; i++) {
            const t = personTrust[i] ?? 0;
            yield [personId[i] ?? '', trusts[t]?.ods ?? ''];
            const s = personSite[i] ?? -1;
            if (s >= 0) yield [personId[i] ?? '', siteOf(t, s)];
          }
        })(),
      ),
    );
    await timed('identity_checks', () =>
      copyRows(
        sql,
        'identity_checks',
        ['id', 'person_id', 'checked_by', 'checked_at', 'override_reason'],
        (function* () {
          for (let i = 0; i < peopleCount; i++) {
            if (personStatus[i] === 0) continue;
            yield [
              randomUUID(),
              personId[i] ?? '',
              accountOf[personTrust[i] ?? 0]?.id_checker ?? '',
              new Date((createdAtOf[i] ?? now) + day / 2),
              null,
            ];
          }
        })(),
      ),
    );

    // Positions: each department × job title of a trust, about one in eight closed.
    const jobRoleCodes = (
      await sql<{ code: string }[]>`select code from job_roles order by code`
    ).map((r) => r.code);
    const activityCodes = (
      await sql<{ code: string }[]>`select code from activities order by code`
    ).map((r) => r.code);
    const positionsOf: { id: string; systems: string[] }[][] = trusts.map(() => []);
    const positionLinks = {
      roles: [] as [string, string][],
      activities: [] as [string, string][],
      groups: [] as [string, string][],
    };
    await timed('positions', () =>
      copyRows(
        sql,
        'positions',
        [
          'id',
          'ods_code',
          'name',
          'systems',
          'assignable',
          'status',
          'closed_reason',
          'closed_at',
          'closed_by',
          'created_at',
          'created_by',
          'updated_at',
        ],
        (function* () {
          for (const [t, trust] of trusts.entries()) {
            for (const [d, dept] of departments.entries()) {
              for (const title of jobTitles) {
                if (random() < 0.33) continue;
                const id = randomUUID();
                const systems = clinicalSystems.filter(() => random() < 0.4);
                const closed = random() < 0.12;
                if (!closed) positionsOf[t]?.push({ id, systems });
                for (const code of new Set([pick(jobRoleCodes), pick(jobRoleCodes)]))
                  positionLinks.roles.push([id, code]);
                for (const code of new Set([
                  pick(activityCodes),
                  pick(activityCodes),
                  pick(activityCodes),
                ]))
                  positionLinks.activities.push([id, code]);
                positionLinks.groups.push([id, workgroupIds[t]?.[d] ?? '']);
                const created = new Date(now - (400 + Math.floor(random() * 1400)) * day);
                yield [
                  id,
                  trust.ods,
                  `${dept} ${title}`,
                  systems,
                  random() < 0.2,
                  closed ? 'closed' : 'active',
                  closed ? 'No longer needed' : null,
                  closed ? new Date(now - 100 * day) : null,
                  closed ? (accountOf[t]?.ra_manager ?? null) : null,
                  created,
                  accountOf[t]?.ra_manager ?? null,
                  created,
                ];
              }
            }
          }
        })(),
      ),
    );
    await timed('position links', async () => {
      const a = await copyRows(
        sql,
        'position_job_roles',
        ['position_id', 'code'],
        positionLinks.roles,
      );
      const b = await copyRows(
        sql,
        'position_activities',
        ['position_id', 'code'],
        positionLinks.activities,
      );
      const c = await copyRows(
        sql,
        'position_workgroups',
        ['position_id', 'workgroup_id'],
        positionLinks.groups,
      );
      return a + b + c;
    });

    const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    await timed('assignments', () =>
      copyRows(
        sql,
        'assignments',
        [
          'id',
          'person_id',
          'position_id',
          'start_date',
          'end_date',
          'ended_at',
          'end_reason',
          'end_note',
          'ended_by',
          'created_at',
          'created_by',
          'request_id',
        ],
        (function* () {
          for (let i = 0; i < peopleCount; i++) {
            const status = personStatus[i] ?? 0;
            if (status === 0) continue;
            const t = personTrust[i] ?? 0;
            const offered = positionsOf[t] ?? [];
            const u = random();
            const count = u < 0.08 ? 0 : u < 0.75 ? 1 : u < 0.95 ? 2 : 3;
            const taken = new Set<number>();
            for (let n = 0; n < count && offered.length; n++) {
              const p = Math.floor(random() * offered.length);
              if (taken.has(p)) continue;
              taken.add(p);
              // Never after today, so every end date below falls on or after it.
              const start = Math.min((createdAtOf[i] ?? now) + day, now);
              const ended = status === 3 || random() < 0.1;
              const endedAt = Math.max(start, now - 30 * day);
              const endsSoon = !ended && random() < 0.03;
              yield [
                randomUUID(),
                personId[i] ?? '',
                offered[p]?.id ?? '',
                isoDate(start),
                ended
                  ? isoDate(endedAt)
                  : endsSoon
                    ? isoDate(now + Math.floor(random() * 30) * day)
                    : null,
                ended ? new Date(endedAt) : null,
                ended ? (status === 3 ? 'person_closed' : 'removed') : null,
                ended && status !== 3 ? 'Moved department' : null,
                ended ? (accountOf[t]?.ra_agent ?? null) : null,
                new Date(start),
                accountOf[t]?.ra_agent ?? null,
                null,
              ];
            }
          }
        })(),
      ),
    );

    // Requests: about 0.4 a person (DOMAIN.md: 15,000 a year for 25,000 users, kept a while).
    const requestIds: string[] = [];
    await timed('access_requests', () =>
      copyRows(
        sql,
        'access_requests',
        [
          'id',
          'kind',
          'person_id',
          'position_id',
          'ods_code',
          'start_date',
          'end_date',
          'note',
          'status',
          'raised_by',
          'raised_at',
          'decided_by',
          'decided_at',
          'decision_reason',
        ],
        (function* () {
          for (let i = 0; i < peopleCount; i++) {
            if (random() >= 0.4 || personStatus[i] === 3) continue;
            const t = personTrust[i] ?? 0;
            const offered = positionsOf[t] ?? [];
            if (!offered.length) continue;
            const u = random();
            const status =
              u < 0.05 ? 'open' : u < 0.75 ? 'approved' : u < 0.9 ? 'rejected' : 'withdrawn';
            const raised =
              now -
              (status === 'open' ? Math.floor(random() * 20) : 20 + Math.floor(random() * 700)) *
                day;
            const id = randomUUID();
            if (requestIds.length < 200_000) requestIds.push(id);
            const decided = status === 'approved' || status === 'rejected';
            yield [
              id,
              random() < 0.9 ? 'assign' : 'remove',
              personId[i] ?? '',
              pick(offered).id,
              trusts[t]?.ods ?? '',
              isoDate(raised + day),
              null,
              random() < 0.3 ? 'Starting on the ward next week' : null,
              status,
              accountOf[t]?.sponsor ?? '',
              new Date(raised),
              decided ? (accountOf[t]?.ra_manager ?? null) : null,
              decided ? new Date(raised + day) : null,
              status === 'rejected' ? 'Not needed for this role' : null,
            ];
          }
        })(),
      ),
    );

    // Card locations, then cards: about 0.82 a registered person, in every state; certificates
    // issued up to three years and two months ago for three years, so expiries run from two
    // months past to three years ahead and every bucket fills.
    const locationOf = trusts.map(() => [randomUUID(), randomUUID()]);
    await timed('card_locations', () =>
      copyRows(
        sql,
        'card_locations',
        ['id', 'ods_code', 'name', 'created_at'],
        (function* () {
          for (const [t, trust] of trusts.entries()) {
            for (const [l, id] of (locationOf[t] ?? []).entries()) {
              yield [
                id,
                trust.ods,
                l === 0 ? 'RA office safe' : 'Site 2 cabinet',
                new Date(now - 1500 * day),
              ];
            }
          }
        })(),
      ),
    );
    const cardStates = [
      'in_stock',
      'issued_locked',
      'active',
      'blocked',
      'suspended',
      'cancelled',
      'returned',
      'destroyed',
    ] as const;
    const cardId: string[] = [];
    const cardSerial: string[] = [];
    const cardPerson: number[] = [];
    const cardState: number[] = [];
    const cardIssued: number[] = [];
    const cardExpires: number[] = [];
    const validity = 3 * 365 * day;
    const stateFor = (u: number) =>
      u < 0.02
        ? 1
        : u < 0.88
          ? 2
          : u < 0.905
            ? 3
            : u < 0.915
              ? 4
              : u < 0.975
                ? 5
                : u < 0.99
                  ? 6
                  : 7;
    await timed('cards', () =>
      copyRows(
        sql,
        'cards',
        [
          'id',
          'serial',
          'card_type',
          'atr',
          'person_id',
          'state',
          'state_reason',
          'state_changed_at',
          'location_id',
          'expires_at',
          'management_key',
          'management_algorithm',
          'created_at',
          'updated_at',
        ],
        (function* () {
          const atr = '3b8d01805b803041322d344b4f4d4c5c';
          const row = (i: number, person: number, state: number, issued: number): CopyValue[] => {
            const id = randomUUID();
            const serial = hex(16).toUpperCase();
            const inUse = state >= 1 && state <= 4;
            const expires = inUse ? issued + validity : 0;
            const holder = person >= 0 && state <= 5;
            const t = person >= 0 ? (personTrust[person] ?? 0) : i % trusts.length;
            cardId.push(id);
            cardSerial.push(serial);
            cardPerson.push(holder ? person : -1);
            cardState.push(state);
            cardIssued.push(issued);
            cardExpires.push(expires);
            const reason =
              state === 5
                ? pick(['lost', 'left', 'damaged', 'replaced', 'stolen'])
                : state === 4
                  ? 'missing'
                  : null;
            return [
              id,
              serial,
              'PIV',
              atr,
              holder ? (personId[person] ?? null) : null,
              cardStates[state] ?? 'active',
              reason,
              state === 2 ? null : new Date(issued + Math.floor(random() * 300) * day),
              holder ? null : (locationOf[t]?.[Math.floor(random() * 2)] ?? null),
              expires ? new Date(expires) : null,
              state === 0 ? 'transport' : 'derived',
              'tdes',
              new Date(issued - day),
              new Date(issued),
            ];
          };
          for (let i = 0; i < peopleCount; i++) {
            if (personStatus[i] === 0 || random() >= 0.84) continue;
            const closed = personStatus[i] === 3;
            const state = closed ? 5 : stateFor(random());
            const issued =
              now - Math.floor(random() * (validity / day + 60)) * day - Math.floor(random() * day);
            yield row(i, i, state, issued);
          }
          const stock = Math.ceil(peopleCount * 0.02);
          for (let i = 0; i < stock; i++)
            yield row(i, -1, 0, now - Math.floor(random() * 400) * day);
        })(),
      ),
    );

    const revocationFor: Record<string, string> = {
      lost: 'keyCompromise',
      stolen: 'keyCompromise',
      left: 'affiliationChanged',
      damaged: 'cessationOfOperation',
      replaced: 'superseded',
    };
    const issuer = 'CN=Smartcard RA Scale Issuing CA,O=Smartcard RA Scale';
    const certOf = new Map<number, { sha256: string; serialNumber: string; subject: string }>();
    await timed('certificates', () =>
      copyRows(
        sql,
        'certificates',
        [
          'id',
          'card_id',
          'person_id',
          'ca_id',
          'profile',
          'slot',
          'serial_number',
          'subject',
          'issuer',
          'sha256',
          'not_before',
          'not_after',
          'revoked_at',
          'revocation_reason',
          'der',
          'current',
          'job_id',
          'created_at',
        ],
        (function* () {
          for (let c = 0; c < cardId.length; c++) {
            const person = cardPerson[c] ?? -1;
            const state = cardState[c] ?? 0;
            if (person < 0 || state === 0) continue;
            const issued = cardIssued[c] ?? now;
            const subject = `CN=${personName[person]},serialNumber=${personUserId[person]}`;
            const revoked =
              state === 5
                ? new Date(issued + 200 * day)
                : state === 4
                  ? new Date(now - 3 * day)
                  : null;
            const reason =
              state === 5
                ? (revocationFor[pick(Object.keys(revocationFor))] ?? 'superseded')
                : state === 4
                  ? 'certificateHold'
                  : null;
            // One card in ten was renewed once: its first pair superseded, not current.
            if (state <= 4 && random() < 0.1) {
              for (const [profile, slot] of [
                ['authentication', '9a'],
                ['signature', '9c'],
              ] as const) {
                yield [
                  randomUUID(),
                  cardId[c] ?? '',
                  personId[person] ?? '',
                  null,
                  profile,
                  slot,
                  hex(16),
                  subject,
                  issuer,
                  hex(32),
                  new Date(issued - validity),
                  new Date(issued),
                  new Date(issued),
                  'superseded',
                  null,
                  false,
                  null,
                  new Date(issued - validity),
                ];
              }
            }
            for (const [profile, slot] of [
              ['authentication', '9a'],
              ['signature', '9c'],
            ] as const) {
              const sha256 = hex(32);
              const serialNumber = hex(16);
              if (slot === '9a') certOf.set(c, { sha256, serialNumber, subject });
              yield [
                randomUUID(),
                cardId[c] ?? '',
                personId[person] ?? '',
                null,
                profile,
                slot,
                serialNumber,
                subject,
                issuer,
                sha256,
                new Date(issued),
                new Date(issued + validity),
                revoked,
                reason,
                null,
                true,
                null,
                new Date(issued),
              ];
            }
          }
        })(),
      ),
    );

    const workstationOf = trusts.map(() => [0, 1, 2, 3, 4].map(() => randomUUID()));
    await timed('workstations', () =>
      copyRows(
        sql,
        'workstations',
        [
          'id',
          'ods_code',
          'name',
          'location',
          'status',
          'credential_hash',
          'enrolled_at',
          'hostname',
          'last_seen_at',
          'created_at',
          'created_by',
        ],
        (function* () {
          for (const [t, trust] of trusts.entries()) {
            for (const [w, id] of (workstationOf[t] ?? []).entries()) {
              yield [
                id,
                trust.ods,
                `RA desk ${w + 1}`,
                'RA office',
                'enrolled',
                hex(32),
                new Date(now - 900 * day),
                `ra-desk-${w + 1}`,
                new Date(now - day),
                new Date(now - 900 * day),
                accountOf[t]?.ra_manager ?? null,
              ];
            }
          }
        })(),
      ),
    );

    // Flags as readers raise them: expired and expiring certificates, blocked PINs, PINs on
    // their last try, unknown cards; as many resolved as open.
    const flagCards: number[] = [];
    await timed('card_flags', () =>
      copyRows(
        sql,
        'card_flags',
        [
          'id',
          'card_serial',
          'kind',
          'certificate_sha256',
          'person_id',
          'details',
          'raised_at',
          'last_seen_at',
          'resolved_at',
          'workstation_id',
        ],
        (function* () {
          for (let c = 0; c < cardId.length; c++) {
            const state = cardState[c] ?? 0;
            const person = cardPerson[c] ?? -1;
            if (person < 0 || state < 1 || state > 4) continue;
            const expires = cardExpires[c] ?? 0;
            const daysLeft = (expires - now) / day;
            const t = personTrust[person] ?? 0;
            let kind: string | null = null;
            if (daysLeft < 0 && random() < 0.5) kind = 'certificate_expired';
            else if (daysLeft >= 0 && daysLeft <= 30 && random() < 0.3)
              kind = 'certificate_expiring';
            else if (state === 3 && random() < 0.6) kind = 'pin_blocked';
            else if (state === 2 && random() < 0.004) kind = 'pin_last_try';
            const resolvedToo = random() < 0.03;
            if (!kind && !resolvedToo) continue;
            const cert = certOf.get(c);
            const certificateDetails = cert
              ? {
                  sha256: cert.sha256,
                  slot: '9a',
                  subject: cert.subject,
                  issuer,
                  serialNumber: cert.serialNumber,
                  notAfter: new Date(expires).toISOString(),
                }
              : {};
            const raised = now - Math.floor(random() * 20) * day;
            const workstation = pick(workstationOf[t] ?? []);
            if (kind) {
              flagCards.push(c);
              const aboutCertificate = kind.startsWith('certificate_');
              yield [
                randomUUID(),
                cardSerial[c] ?? '',
                kind,
                aboutCertificate ? (cert?.sha256 ?? '') : '',
                personId[person] ?? null,
                aboutCertificate ? certificateDetails : {},
                new Date(raised),
                new Date(raised + day / 2),
                null,
                workstation,
              ];
            }
            if (resolvedToo) {
              const old = now - (30 + Math.floor(random() * 300)) * day;
              yield [
                randomUUID(),
                cardSerial[c] ?? '',
                'pin_blocked',
                '',
                personId[person] ?? null,
                {},
                new Date(old),
                new Date(old),
                new Date(old + 2 * day),
                workstation,
              ];
            }
          }
          // Cards nobody here issued, seen on RA desks.
          for (let n = 0; n < Math.ceil(peopleCount / 2000); n++) {
            const raised = now - Math.floor(random() * 20) * day;
            yield [
              randomUUID(),
              hex(16).toUpperCase(),
              'unknown_card',
              '',
              null,
              {},
              new Date(raised),
              new Date(raised),
              null,
              pick(workstationOf[n % trusts.length] ?? []),
            ];
          }
        })(),
      ),
    );

    // The audit trail: about 3.5 events a person over five years, in time order, each
    // chained to the one before with the audit key, as recordAuditEvent writes them.
    const eventCount = Math.round(peopleCount * 3.53);
    let lastHash = genesisHash;
    await timed('audit_events', () =>
      copyRows(
        sql,
        'audit_events',
        [
          'id',
          'occurred_at',
          'actor_account_id',
          'actor_username',
          'actor_workstation_id',
          'action',
          'subject_type',
          'subject_id',
          'summary',
          'request_id',
          'address',
          'prev_hash',
          'hash',
          'hash_version',
        ],
        (function* () {
          const span = 1800 * day;
          const start = now - span;
          for (let e = 1; e <= eventCount; e++) {
            const occurredAt = new Date(start + Math.floor((e / eventCount) * (span - day)));
            const person = Math.floor(random() * peopleCount);
            const t = personTrust[person] ?? 0;
            const u = random();
            let actorRole: (typeof staffRoles)[number] = 'ra_agent';
            let action: string;
            let subjectType: string;
            let subjectId: string;
            let summary: Record<string, unknown>;
            if (u < 0.28) {
              actorRole = 'id_checker';
              action = 'person.registered';
              subjectType = 'person';
              subjectId = personId[person] ?? '';
              summary = {
                userId: personUserId[person],
                name: personName[person],
                organisations: [trusts[t]?.ods],
                username: null,
              };
            } else if (u < 0.5) {
              actorRole = 'id_checker';
              action = 'person.identity_checked';
              subjectType = 'person';
              subjectId = personId[person] ?? '';
              summary = { documents: ['passport', 'utility_bill', 'bank_statement'] };
            } else if (u < 0.7) {
              action = 'assignment.created';
              subjectType = 'person';
              subjectId = personId[person] ?? '';
              summary = {
                position: pick(positionsOf[t] ?? [{ id: '', systems: [] }]).id,
                startDate: isoDate(occurredAt.getTime()),
              };
            } else if (u < 0.85 && cardId.length) {
              const c = Math.floor(random() * cardId.length);
              action = 'card.certificate_issued';
              subjectType = 'card';
              subjectId = cardId[c] ?? '';
              summary = { serial: cardSerial[c], slot: '9a' };
            } else if (u < 0.95 && requestIds.length) {
              actorRole = 'sponsor';
              action = pick(['request.raised', 'request.approved', 'request.rejected']);
              subjectType = 'request';
              subjectId = pick(requestIds);
              summary = { person: personId[person] };
            } else {
              action = 'auth.login';
              subjectType = 'account';
              subjectId = accountOf[t]?.[actorRole] ?? '';
              summary = {};
            }
            const content = {
              occurredAt,
              actorAccountId: accountOf[t]?.[actorRole] ?? null,
              actorUsername: usernameOf(t, actorRole),
              actorWorkstationId: null,
              action,
              subjectType,
              subjectId,
              summary,
              requestId: null,
              address: '10.0.0.1',
            };
            const hash = keyedAuditHash(keys.chainKey, lastHash, content);
            yield [
              e,
              occurredAt,
              content.actorAccountId,
              content.actorUsername,
              null,
              action,
              subjectType,
              subjectId,
              summary,
              null,
              content.address,
              lastHash,
              hash,
              currentHashVersion,
            ];
            lastHash = hash;
          }
        })(),
      ),
    );
    await sql`select setval('audit_events_id_seq', ${eventCount})`;

    // Each person's organisations on their row (people.org_codes), as the links' trigger
    // keeps them, while the name indexes that hold them are set aside.
    await timed('people org codes', async () => {
      const done = await sql`
        update people p set org_codes = l.codes
          from (select person_id, array_agg(ods_code order by ods_code) as codes
                  from person_organisations group by person_id) l
         where l.person_id = p.id`;
      return done.count;
    });
    await timed('indexes and keys', async () => {
      await restore(sql, aside, (what, ms) => {
        if (ms > 2000) console.log(`  ${what}: ${(ms / 1000).toFixed(1)} s`);
      });
      return aside.indexes.length + aside.foreignKeys.length;
    });
    await timed('dashboard counts', async () => {
      for (const table of countedTables) {
        await sql.unsafe(`alter table ${table} enable trigger user`);
      }
      // Expiry days more than a week gone folded, as the fold-card-counts job keeps them.
      await sql`select card_tallies_rebuild(((now() at time zone 'Europe/London')::date - 7))`;
      // The system-access report's signatures and people by signature (db/migrations/0023).
      await sql`select system_access_rebuild()`;
      const [row] = await sql<{ n: number }[]>`select
        (select count(*) from card_state_tallies) + (select count(*) from card_expiry_tallies)
        + (select count(*) from card_flag_tallies) + (select count(*) from card_stock_tallies)
        + (select count(*) from system_access_tallies) as n`;
      return Number(row?.n ?? 0);
    });
    // Statistics for the planner, and the visibility map, without which no index-only
    // scan skips the heap until autovacuum comes by (mid-benchmark).
    await timed('vacuum analyze', async () => {
      await sql`vacuum (analyze)`;
      return 0;
    });

    // The seed wrote the chain itself, so it signs the checkpoint at its head: the server's
    // checkpointer and incremental verify start from there, and a full verification
    // (POST /api/audit/verifications) walks every seeded event.
    const fields = {
      eventCount,
      lastEventId: eventCount,
      lastHash,
      createdAt: new Date(),
      keyId: keys.keyId,
    };
    await sql`insert into audit_checkpoints (created_at, event_count, last_event_id, last_hash, key_id, signature)
              values (${fields.createdAt}, ${eventCount}, ${eventCount}, ${lastHash}, ${keys.keyId}, ${signCheckpoint(keys, fields)})`;

    const total = (performance.now() - started) / 1000;
    console.log(
      `\nSeeded ${peopleCount} people in ${total.toFixed(1)} s (${(total / 60).toFixed(1)} min).`,
    );
    console.log(
      `\nAccounts (password ${scalePassword}): national (RA manager, every organisation); per trust ra-manager.<ods>, ra-agent-advanced.<ods>, ra-agent.<ods>, id-checker.<ods>, sponsor.<ods>, lsa.<ods> (site 01), e.g. ra-manager.${trusts[0]?.ods.toLowerCase()}.`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

await main();
