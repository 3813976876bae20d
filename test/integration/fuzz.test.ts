import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import {
  encodeForUrl,
  hostileFor,
  placesOf,
  type Random,
  randomUuid,
  resolve,
  type Schema,
  sample,
  seededRandom,
  typeOf,
  validValue,
  withPlace,
} from '../support/hostile-values.ts';
import { egifDocuments } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

interface Operation {
  method: string;
  path: string;
  access: string;
  parameters: Parameter[];
  body: Schema | null;
}

/** One request: where to, and what (the body as sent, raw). */
interface Case {
  what: string;
  url: string;
  body?: string;
}

type Caller = { name: string; headers: Record<string, string> };

/** Percent-encoded text that decodes to no UTF-8, or to nothing at all. */
const rawUrlValues = ['%ED%A0%80', '%00', '%', '%zz', '%C0%AF', '%FF%FE', '..'];

const hostileQueryNumbers = ['-1', '0', '1.5', '1e309', '99999999999999999999', 'abc', '', ' 7'];

/** Cursors no server gave out: wrong encoding, wrong shape, wrong types, hostile parts. */
function forgedCursors(): string[] {
  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  return [
    'not-a-cursor',
    '%%%',
    b64('garbage'),
    b64('[]'),
    b64('{}'),
    b64('null'),
    b64('[1e400]'),
    b64('[-1]'),
    b64('[0]'),
    b64('["x"]'),
    b64('["2026-02-30T00:00:00.000Z","00000000-0000-4000-8000-000000000000"]'),
    b64('["-271821-04-20T00:00:00.000Z","------------------------------------"]'),
    b64('["a","b","not-a-uuid"]'),
    b64('["\\u0000","b","00000000-0000-4000-8000-000000000000"]'),
    b64('["\\ud800","b","00000000-0000-4000-8000-000000000000"]'),
    b64('{"family":"a","given":"b","id":"x"}'),
    b64('2026-11-25T09:00:00.000Z|------------------------------------'),
    b64('99999999999999999999'),
    Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80]).toString('base64url'),
    'A'.repeat(1000),
    '99999999999999',
  ];
}

const b = (s: string) => (s.length > 60 ? `${JSON.stringify(s.slice(0, 40))}…(${s.length})` : s);

/**
 * Walks every operation of the served OpenAPI document and sends hostile values generated
 * from its schemas — NUL, lone surrogates, 10,000-character strings, wrong types, missing
 * fields, huge and negative numbers, impossible dates, SQL- and HTML-looking text, forged
 * cursors — into valid-shaped requests (real ids of the demo), as an RA manager, as staff
 * and as nobody. Nothing may answer 5xx.
 */
describe.each(testDrivers)('hostile input never gets a 5xx (%s)', (driver) => {
  let t: TestApp;
  let operations: Operation[];
  let components: Record<string, Schema>;
  let manager: Caller;
  let staff: Caller;
  let agent: Caller;
  const anonymous: Caller = { name: 'anonymous', headers: {} };
  const ids: Record<string, string> = {};
  const codes: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp(driver);
    // The demo morning: requests waiting, positions held, a workstation's card flags.
    await seedDemoMorning(t);
    const doc = (await (await t.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { schemas: Record<string, Schema> };
    };
    components = doc.components.schemas;
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const content = (op.requestBody as { content?: Record<string, { schema: Schema }> })
          ?.content;
        return {
          method,
          path,
          access: op['x-access'] as string,
          parameters: (op.parameters as Parameter[] | undefined) ?? [],
          body: content?.['application/json']?.schema ?? null,
        };
      }),
    );
    const m = await t.login('manager');
    manager = { name: 'manager', headers: m.headers };
    const s = await t.login('staff');
    staff = { name: 'staff', headers: s.headers };

    // Real ids of the demo, so valid-shaped requests reach the services.
    const get = async (path: string, as = manager) => {
      const res = await t.app.request(path, { headers: as.headers });
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return (await res.json()) as { items: Record<string, unknown>[] };
    };
    const people = (await get('/api/people?limit=100')).items;
    for (const person of people) {
      const held = (await get(`/api/people/${person.id}/assignments`)).items;
      if (held[0]) {
        ids.person = person.id as string;
        ids.assignment = held[0].id as string;
        codes.ods = (person.odsCodes as string[])[0] as string;
        break;
      }
    }
    const sponsor = { name: 'sponsor', headers: (await t.login('sponsor')).headers };
    ids.request = (await get('/api/requests?view=inbox', sponsor)).items[0]?.id as string;
    // A position of the person's own organisation, so assigning and requesting go deep.
    ids.position = (await get(`/api/positions?odsCode=${codes.ods}`)).items[0]?.id as string;
    ids.workstation = (await get('/api/workstations')).items[0]?.id as string;
    const workgroup = await t.app.request(`/api/organisations/${codes.ods}/workgroups`, {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ name: 'Fuzz ward' }),
    });
    ids.workgroup = ((await workgroup.json()) as { id: string }).id;
    codes.jobRole = (await get('/api/job-roles')).items[0]?.code as string;
    codes.activity = (await get('/api/activities')).items[0]?.code as string;
    for (const [name, value] of Object.entries({ ...ids, ...codes })) {
      if (!value) throw new Error(`the demo has no ${name} to fuzz with`);
    }

    // The agent's own workstation, never one the fuzzing revokes.
    const registered = await t.app.request('/api/workstations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ name: 'Fuzz agent', odsCode: 'RWG01' }),
    });
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
    const enrolled = await t.app.request('/api/agent/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: enrolment.code, hostname: 'fuzz' }),
    });
    const { credential } = (await enrolled.json()) as { credential: string };
    agent = {
      name: 'agent',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    };
  });
  afterAll(() => t.close());

  function hintsFor(random: Random) {
    let serial = 0;
    const byName: Record<string, () => unknown> = {
      personId: () => ids.person,
      positionId: () => ids.position,
      odsCode: () => codes.ods,
      parentOdsCode: () => 'RWG',
      dateOfBirth: () => '1990-04-01',
      documents: () => egifDocuments(`P${Math.floor(random() * 1e9)}`),
      'odsCodes[]': () => codes.ods,
      'jobRoles[]': () => codes.jobRole,
      'activities[]': () => codes.activity,
      'workgroupIds[]': () => ids.workgroup,
      parentId: () => ids.workgroup,
      username: () => `fuzz.user${serial++}`,
      idempotencyKey: () => randomUuid(random),
    };
    return { random, byName: (name: string) => byName[name]?.() };
  }

  function pathValue(op: Operation, name: string): string {
    if (name === 'ods') return codes.ods as string;
    if (name === 'assignmentId') return ids.assignment as string;
    const resource = op.path.split('/')[2];
    const byResource: Record<string, string | undefined> = {
      people: ids.person,
      requests: ids.request,
      positions: ids.position,
      workstations: ids.workstation,
    };
    return byResource[resource ?? ''] ?? randomUuid(seededRandom(1));
  }

  /** The hostile values for a parameter that a URL can carry, percent-encoded. */
  const inUrl = (schema: Schema) =>
    hostileFor(schema, components)
      .filter((v) => typeof v === 'string' || typeof v === 'number')
      .map((v) => encodeForUrl(String(v)));

  /** Every hostile request for one operation, each changing one thing of a valid request. */
  function casesOf(op: Operation, random: Random): Case[] {
    const hints = hintsFor(random);
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const validPath = Object.fromEntries(pathParams.map((p) => [p.name, pathValue(op, p.name)]));
    const validQuery: Record<string, string> = {};
    for (const p of queryParams) {
      if (p.required) validQuery[p.name] = String(validValue(p.schema, components, hints, p.name));
    }
    const url = (path: Record<string, string>, query: Record<string, string>, extra = '') => {
      const filled = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => path[name] as string);
      const q = Object.entries(query)
        .map(([k, v]) => `${encodeForUrl(k)}=${v}`)
        .concat(extra ? [extra] : [])
        .join('&');
      return q ? `${filled}?${q}` : filled;
    };
    const enc = (v: Record<string, string>) =>
      Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeForUrl(x)]));
    const baseUrl = url(validPath, enc(validQuery));
    const validBody = op.body ? validValue(op.body, components, hints) : undefined;
    const sendsBody = op.method !== 'get';
    const baseBody = sendsBody ? JSON.stringify(validBody ?? {}) : undefined;
    const cases: Case[] = [{ what: 'valid-shaped', url: baseUrl, body: baseBody }];

    for (const p of pathParams) {
      const values = [...inUrl(p.schema), ...rawUrlValues, encodeForUrl(randomUuid(random))];
      for (const v of values) {
        cases.push({
          what: `path ${p.name}=${b(v)}`,
          url: url({ ...validPath, [p.name]: v }, enc(validQuery)),
          body: baseBody,
        });
      }
    }

    for (const p of queryParams) {
      const s = resolve(p.schema, components);
      const values = [...inUrl(p.schema), ...rawUrlValues];
      if (typeOf(s) === 'integer' || typeOf(s) === 'number') values.push(...hostileQueryNumbers);
      if (p.name === 'cursor') values.push(...forgedCursors());
      for (const v of values) {
        cases.push({
          what: `query ${p.name}=${b(v)}`,
          url: url(validPath, { ...enc(validQuery), [p.name]: v }),
          body: baseBody,
        });
      }
      cases.push({
        what: `query ${p.name} twice`,
        url: url(validPath, enc(validQuery), `${p.name}=1&${p.name}=2`),
        body: baseBody,
      });
    }
    for (const extra of ['zzz=1', '%00=1', '%ED%A0%80=x', `${'k'.repeat(5000)}=v`]) {
      cases.push({ what: `query ${b(extra)}`, url: url(validPath, enc(validQuery), extra) });
    }

    if (sendsBody) {
      const bodies: [string, string][] = [
        ['body null', 'null'],
        ['body []', '[]'],
        ['body "x"', '"x"'],
        ['body 42', '42'],
        ['body truncated', '{"a":'],
        ['body NUL key', '{"\\u0000":1}'],
        ['body surrogate', '{"x":"\\ud800"}'],
        ['body deep', `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ];
      for (const [what, body] of bodies) cases.push({ what, url: baseUrl, body });
    }

    if (op.body && validBody !== undefined) {
      const root = resolve(op.body, components);
      for (const place of [{ path: [], schema: root }, ...placesOf(validBody, root, components)]) {
        const at = place.path.join('.') || '(body)';
        const s = resolve(place.schema, components);
        if (place.path.length) {
          for (const v of hostileFor(s, components)) {
            cases.push({
              what: `${at}=${b(JSON.stringify(v))}`,
              url: baseUrl,
              body: JSON.stringify(withPlace(validBody, place.path, v)),
            });
          }
        }
        if (typeOf(s) === 'object') {
          const here = place.path.reduce(
            (node: unknown, key) => (node as Record<string | number, unknown>)[key],
            validBody,
          );
          for (const key of s.required ?? []) {
            cases.push({
              what: `${at} without ${key}`,
              url: baseUrl,
              body: JSON.stringify(withPlace(validBody, [...place.path, key], undefined, true)),
            });
          }
          for (const [key, value] of [
            ['zzz', 1],
            ['\u0000', 'x'],
            ['\udc00', 'x'],
          ] as const) {
            const changed = { ...(here as object), [key]: value };
            cases.push({
              what: `${at} with key ${JSON.stringify(key)}`,
              url: baseUrl,
              body: JSON.stringify(
                place.path.length ? withPlace(validBody, place.path, changed) : changed,
              ),
            });
          }
        }
      }
    }
    return cases;
  }

  it('answers every operation with no 5xx, whoever calls and whatever they send', async () => {
    const random = seededRandom(20261129);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let sent = 0;
    const started = performance.now();
    // Signing out ends the session, so it goes last.
    const ordered = [...operations].sort(
      (x, y) => Number(x.path.endsWith('/logout')) - Number(y.path.endsWith('/logout')),
    );
    /** Operations whose valid-shaped request was refused: the fuzz went less deep there. */
    const shallow: string[] = [];
    let deep = 0;
    const slowest: [string, number][] = [];
    for (const op of ordered) {
      const opStarted = performance.now();
      let cases = casesOf(op, random);
      // Each sign-in attempt the schema lets through costs an argon2id verification (by
      // design, to slow guessing): a seeded sample of them is enough, and keeps this bounded.
      if (op.path === '/api/auth/login') {
        cases = [cases[0] as Case, ...sample(random, cases.slice(1), 8)];
      }
      const main = op.access === 'agent' ? agent : manager;
      const others = Math.min(8, Math.ceil(cases.length / 3));
      const runs: [Caller, Case[]][] = [
        [main, cases],
        [anonymous, sample(random, cases, others)],
        [staff, sample(random, cases, others)],
      ];
      for (const [caller, list] of runs) {
        for (const c of list) {
          const headers: Record<string, string> = { ...caller.headers };
          if (c.body !== undefined) headers['content-type'] = 'application/json';
          const res = await t.app.request(c.url, {
            method: op.method.toUpperCase(),
            headers,
            body: c.body,
          });
          sent++;
          if (caller === main && c === cases[0]) {
            if (res.status < 300) deep++;
            else shallow.push(`${op.method.toUpperCase()} ${op.path} ${res.status}`);
          }
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) {
            const text = await res.text();
            failures.push(
              `${caller.name} ${op.method.toUpperCase()} ${op.path} ${c.what} → ${res.status} ${text.slice(0, 200)}`,
            );
          } else await res.body?.cancel();
        }
      }
      slowest.push([`${op.method.toUpperCase()} ${op.path}`, performance.now() - opStarted]);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const counts = [...statuses.entries()]
      .sort(([x], [y]) => x - y)
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ');
    const slow = slowest
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([what, ms]) => `${what} ${(ms / 1000).toFixed(1)} s`);
    console.log(
      [
        `fuzz (${driver}): ${sent} requests over ${operations.length} operations in ${seconds} s`,
        `  per status: ${counts}`,
        `  valid-shaped request answered 2xx on ${deep} operations; refused on ${shallow.join(', ')}`,
        `  slowest: ${slow.join(', ')}`,
      ].join('\n'),
    );
    expect(failures).toEqual([]);
  }, 300_000);
});
