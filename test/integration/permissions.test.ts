import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleName } from '../../db/schema/accounts.ts';
import { type Access, allows, rolePermissions } from '../../server/permissions/permissions.ts';
import { routedCardVerbs } from '../../server/services/cards/card-access.ts';
import { cardTransitions } from '../../server/services/cards/card-lifecycle.ts';
import { demoAccounts } from '../../server/services/demo/seed-demo.ts';
import { testDrivers } from '../support/databases.ts';
import { egifDocuments } from '../support/people.ts';
import { demoTrust, secondTrust, type Trust, type TrustRecords } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Operation {
  method: string;
  path: string;
  access: Access | undefined;
}

const placeholder = '00000000-0000-4000-8000-000000000000';

/**
 * Walks every operation of the OpenAPI document as every role and as nobody, and checks
 * the answer against the permission table: allowed callers get past the access check
 * (anything but 401/403), everyone else is refused.
 */
describe.each(testDrivers)('every route, every role (%s)', (driver) => {
  let t: TestApp;
  let operations: Operation[];
  beforeAll(async () => {
    t = await createTestApp(driver);
    const doc = (await (await t.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, { 'x-access'?: Access }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, access: op['x-access'] })),
    );
  });
  afterAll(() => t.close());

  it('finds a declared access on every route', () => {
    expect(operations.length).toBeGreaterThan(0);
    const undeclared = operations.filter((o) => !o.access);
    expect(undeclared).toEqual([]);
  });

  it('serves nothing outside the OpenAPI document but the public documentation', async () => {
    const doc = (await (await t.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const declared = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
      ),
    );
    // Middleware and the catch-alls (`ALL`) are not routes; every other handler must be
    // in the document, where the walk below checks it, or be one of these public pages.
    const undeclared = t.app.routes
      .filter((r) => r.method !== 'ALL' && !declared.has(`${r.method} ${r.path}`))
      .map((r) => `${r.method} ${r.path}`);
    expect([...new Set(undeclared)].sort()).toEqual([
      'GET /api/docs',
      'GET /api/docs/assets/:file',
      'GET /api/docs/assets/init.js',
      'GET /api/openapi.json',
    ]);
  });

  it('covers every role of the permission table with a demo account', () => {
    const covered = new Set(demoAccounts.map((a) => a.role));
    expect([...covered].sort()).toEqual(Object.keys(rolePermissions).sort());
  });

  async function call(op: Operation, who: SignedIn | null) {
    const path = op.path.replace(/\{[^}]+\}/g, placeholder);
    const unsafe = op.method !== 'get';
    return t.app.request(path, {
      method: op.method.toUpperCase(),
      headers: who ? who.headers : { 'content-type': 'application/json' },
      body: unsafe ? '{}' : undefined,
    });
  }

  it('refuses every non-public route to a caller with no session', async () => {
    for (const op of operations) {
      const res = await call(op, null);
      if (op.access === 'public')
        expect([401, 403], `${op.method} ${op.path}`).not.toContain(res.status);
      else expect(res.status, `${op.method} ${op.path}`).toBe(401);
    }
  });

  for (const account of demoAccounts) {
    it(`lets ${account.role} (${account.username}) in exactly where the table allows`, async () => {
      const granted = [...rolePermissions[account.role as RoleName]];
      // Signing out ends the session, so it goes last.
      const ordered = [...operations].sort(
        (a, b) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout')),
      );
      const who = await t.login(account.username);
      for (const op of ordered) {
        const res = await call(op, who);
        const label = `${account.role} ${op.method.toUpperCase()} ${op.path} → ${res.status}`;
        if (allows(op.access as Access, granted)) {
          expect([401, 403], label).not.toContain(res.status);
        } else {
          expect(res.status, label).toBe(403);
          expect((await res.json()).error.code, label).toBe('FORBIDDEN');
        }
      }
    });
  }
});

/**
 * What a record's id gets a caller who holds the route's permission, but only in another
 * trust (services/access/actor-scope.ts): `absent`, a 404 word for word as for an id that
 * names nothing; `refused`, a 403 saying why (a catalogue record they see but may not
 * manage); `catalogue`, the record itself (organisations and positions are no secret).
 */
type Outside = 'absent' | 'refused' | 'catalogue';

interface CrossCase {
  outside: Outside;
  params: (r: TrustRecords) => Record<string, string>;
  body?: (r: TrustRecords) => unknown;
  /**
   * What the owning trust's RA manager gets, when not the record itself: withdrawing is for
   * whoever raised the request, and the manager, who sees it, is told why (403), not "absent".
   */
  managerGets?: number;
}

let passports = 0;
const person = (r: TrustRecords) => ({ id: r.person });
const request = (r: TrustRecords) => ({ id: r.request });
const workstation = (r: TrustRecords) => ({ id: r.workstation });
const position = (r: TrustRecords) => ({ id: r.position });
const site = (r: TrustRecords) => ({ ods: r.site });

/** Every route with a path parameter, and what the other trust gets from it. */
const crossCases: Record<string, CrossCase> = {
  'GET /api/people/{id}': { outside: 'absent', params: person },
  'PATCH /api/people/{id}': {
    outside: 'absent',
    params: person,
    body: () => ({ phone: '01000 000000' }),
  },
  'POST /api/people/{id}/identity-check': {
    outside: 'absent',
    params: person,
    body: () => ({ documents: egifDocuments(`Q${String(++passports).padStart(7, '0')}`) }),
  },
  'POST /api/people/{id}/suspend': {
    outside: 'absent',
    params: person,
    body: () => ({ reason: 'Suspended by another trust' }),
  },
  'POST /api/people/{id}/reactivate': {
    outside: 'absent',
    params: person,
    body: () => ({ reason: 'Reactivated by another trust' }),
  },
  'POST /api/people/{id}/close': {
    outside: 'absent',
    params: person,
    body: () => ({ reason: 'Closed by another trust' }),
  },
  'GET /api/people/{id}/assignable-positions': { outside: 'absent', params: person },
  'GET /api/people/{id}/notifications': { outside: 'absent', params: person },
  // Background jobs are the deployment's, not an organisation's: any RA manager may run one
  // (each is safe to run again), as on the catalogue.
  'POST /api/background/jobs/{name}/runs': {
    outside: 'catalogue',
    params: () => ({ name: 'send-mail' }),
  },
  'GET /api/people/{id}/assignments': { outside: 'absent', params: person },
  'POST /api/people/{id}/assignments': {
    outside: 'absent',
    params: person,
    body: (r) => ({ positionId: r.position }),
  },
  'POST /api/people/{id}/assignments/{assignmentId}/remove': {
    outside: 'absent',
    params: (r) => ({ id: r.person, assignmentId: r.assignment }),
    body: () => ({ note: 'Removed by another trust' }),
  },
  'GET /api/requests/{id}': { outside: 'absent', params: request },
  'POST /api/requests/{id}/claim': { outside: 'absent', params: request },
  'POST /api/requests/{id}/approve': { outside: 'absent', params: request, body: () => ({}) },
  'POST /api/requests/{id}/reject': {
    outside: 'absent',
    params: request,
    body: () => ({ reason: 'Not ours to allow' }),
  },
  'POST /api/requests/{id}/withdraw': {
    outside: 'absent',
    params: request,
    body: () => ({}),
    managerGets: 403,
  },
  'POST /api/workstations/{id}/enrolment-code': { outside: 'absent', params: workstation },
  'POST /api/workstations/{id}/revoke': {
    outside: 'absent',
    params: workstation,
    body: () => ({ reason: 'Revoked by another trust' }),
  },
  'GET /api/positions/{id}': { outside: 'catalogue', params: position },
  'PATCH /api/positions/{id}': {
    outside: 'refused',
    params: position,
    body: () => ({ name: 'Renamed by another trust' }),
  },
  'POST /api/positions/{id}/close': {
    outside: 'refused',
    params: position,
    body: () => ({ reason: 'Closed by another trust' }),
  },
  // The audit trail is one chain for the whole deployment: whoever holds audit:read may
  // follow any check of it.
  'GET /api/audit/verifications/{id}': {
    outside: 'catalogue',
    params: (r) => ({ id: r.verification }),
  },
  // An import's rows hold the staff of its organisations: another trust's RA sees none of it.
  ...Object.fromEntries(
    (['esr-imports', 'card-cancellations'] as const).flatMap((base) => {
      const params = (r: TrustRecords) => ({
        id: base === 'esr-imports' ? r.esrImport : r.cardCancellation,
      });
      return [
        [`GET /api/${base}/{id}`, { outside: 'absent', params }],
        [`GET /api/${base}/{id}/rows`, { outside: 'absent', params }],
        [`POST /api/${base}/{id}/apply`, { outside: 'absent', params }],
      ];
    }),
  ),
  'GET /api/cards/{serial}': {
    outside: 'absent',
    params: (r) => ({ serial: r.flaggedSerials[0] ?? 'no-flagged-card' }),
  },
  ...Object.fromEntries(
    routedCardVerbs.map((verb) => [
      `POST /api/cards/{serial}/${verb}`,
      {
        outside: 'absent',
        params: (r: TrustRecords) => ({ serial: r.flaggedSerials[0] ?? 'no-flagged-card' }),
        body: () => {
          const row = cardTransitions.find((t) => t.verb === verb);
          return row?.needsReason ? { reason: row.reasons[0]?.reason } : {};
        },
      } satisfies CrossCase,
    ]),
  ),
  // The trusts' records hold no card job; a job nobody asked for answers as one of the other
  // trust's would (card-jobs.test.ts shows another workstation's job is 404 to its agent).
  'GET /api/card-jobs/{id}': {
    outside: 'absent',
    params: () => ({ id: placeholder }),
    managerGets: 404,
  },
  'GET /api/organisations/{ods}': { outside: 'catalogue', params: site },
  'PATCH /api/organisations/{ods}': {
    outside: 'refused',
    params: site,
    body: () => ({ name: 'Renamed by another trust' }),
  },
  'GET /api/organisations/{ods}/workgroups': { outside: 'catalogue', params: site },
  'POST /api/organisations/{ods}/workgroups': {
    outside: 'refused',
    params: site,
    body: () => ({ name: 'Another trust’s workgroup' }),
  },
};

/** Ids that name nothing, for the answer an absent record gets. */
const nothing: Record<string, string> = {
  id: placeholder,
  assignmentId: placeholder,
  ods: 'QQQ99',
  serial: 'ffffffffffffffffffffffffffffffff',
};

describe.each(testDrivers)('every route with an id, from another trust (%s)', (driver) => {
  let t: TestApp;
  let operations: Operation[];
  let rwg: Trust;
  let rxx: Trust;
  beforeAll(async () => {
    t = await createTestApp(driver);
    const doc = (await (await t.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, { 'x-access'?: Access }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, access: op['x-access'] })),
    );
    rwg = await demoTrust(t);
    rxx = await secondTrust(t);
  });
  afterAll(() => t.close());

  const key = (op: Operation) => `${op.method.toUpperCase()} ${op.path}`;
  // Public protocol endpoints (GET /pki/ocsp/{request}) carry a request, not a record of any
  // organisation: there is nothing to scope, so they have no cross-organisation case.
  // Agent routes answer a workstation's credential only, never a role: another workstation's
  // job is 404 there (test/integration/card-jobs.test.ts).
  const withIds = () =>
    operations.filter(
      (op) => op.path.includes('{') && op.access !== 'public' && op.access !== 'agent',
    );

  function call(op: Operation, who: SignedIn, ids: Record<string, string>, body: unknown) {
    const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const id = ids[name];
      if (!id) throw new Error(`${key(op)}: the case gives no {${name}}`);
      return id;
    });
    return t.app.request(path, {
      method: op.method.toUpperCase(),
      headers: who.headers,
      body: op.method === 'get' ? undefined : JSON.stringify(body ?? {}),
    });
  }

  /** Each trust's records as its own RA manager reads them, to show nothing changed. */
  async function snapshot(trust: Trust) {
    const r = trust.records;
    const read = async (path: string) => {
      const res = await t.app.request(path, { headers: trust.manager.headers });
      expect(res.status, `${path} ${await res.clone().text()}`).toBe(200);
      return res.json();
    };
    return {
      person: await read(`/api/people/${r.person}`),
      request: await read(`/api/requests/${r.request}`),
      position: await read(`/api/positions/${r.position}`),
      site: await read(`/api/organisations/${r.site}`),
      workstations: await read('/api/workstations'),
    };
  }

  it('has a cross-organisation case for every route with a path parameter, and none for others', () => {
    const routes = withIds().map(key).sort();
    expect(routes.length).toBeGreaterThan(0);
    // A route added with an id and no case here fails this line: add its case above.
    expect(routes).toEqual(Object.keys(crossCases).sort());
  });

  it('answers each such route, for every role that holds its permission in the other trust, as the policy says', async () => {
    const before = { rwg: await snapshot(rwg), rxx: await snapshot(rxx) };
    let calls = 0;
    for (const [callers, owner] of [
      [rxx, rwg],
      [rwg, rxx],
    ] as const) {
      const r = owner.records;
      for (const op of withIds()) {
        const c = crossCases[key(op)];
        if (!c) throw new Error(`no cross-organisation case for ${key(op)}`);
        const holders = callers.callers.filter((x) =>
          allows(op.access as Access, rolePermissions[x.role]),
        );
        expect(
          holders.length,
          `${key(op)}: no role of ${callers.records.trust} holds it`,
        ).toBeGreaterThan(0);
        for (const { role, who } of holders) {
          const label = `${callers.records.trust} ${role} ${key(op)} on ${r.trust}'s record`;
          const res = await call(op, who, c.params(r), c.body?.(r));
          const text = await res.text();
          calls += 1;
          if (c.outside === 'catalogue') {
            expect(res.status, `${label}: ${text}`).toBe(200);
            continue;
          }
          for (const secret of r.secrets) expect(text, label).not.toContain(secret);
          const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
          if (c.outside === 'refused') {
            expect(res.status, `${label}: ${text}`).toBe(403);
            expect(error.code, label).toBe('FORBIDDEN');
            // It says why: the record's organisation is not one of the caller's.
            expect(error.message, label).toContain(r.site);
            continue;
          }
          const none = await call(op, who, nothing, c.body?.(r));
          const absent = ((await none.json()) as { error: { code: string; message: string } })
            .error;
          expect(none.status, `${label} (an id naming nothing)`).toBe(404);
          expect(res.status, `${label}: ${text}`).toBe(404);
          expect({ code: error.code, message: error.message }, label).toEqual({
            code: absent.code,
            message: absent.message,
          });
          expect(Object.keys(error).sort(), label).toEqual(['code', 'message', 'requestId']);
        }
      }
    }
    expect(calls).toBeGreaterThan(withIds().length * 2);
    expect({ rwg: await snapshot(rwg), rxx: await snapshot(rxx) }).toEqual(before);
  });

  it('lists nothing of the other trust: people, inboxes, workstations, flags', async () => {
    for (const [callers, other] of [
      [rxx, rwg],
      [rwg, rxx],
    ] as const) {
      for (const { role, who } of callers.callers) {
        const label = `${callers.records.trust} ${role}`;
        const granted = rolePermissions[role];
        const lists: string[] = [];
        const read = async (path: string) => {
          const res = await t.app.request(path, { headers: who.headers });
          expect(res.status, `${label} ${path}`).toBe(200);
          lists.push(await res.text());
        };
        if (granted.includes('people:read')) {
          await read('/api/people?limit=100');
          await read(`/api/people?q=${encodeURIComponent(other.records.secrets[1] ?? '')}`);
          // A card serial of theirs, whole and its start, finds nobody.
          for (const serial of other.records.flaggedSerials) {
            await read(`/api/people?q=${serial}`);
            await read(`/api/people?q=${serial.slice(0, 8)}`);
          }
        }
        if (granted.includes('requests:decide')) await read('/api/requests?view=inbox&limit=200');
        await read('/api/requests?view=mine&limit=200');
        if (granted.includes('workstations:manage')) await read('/api/workstations');
        if (granted.includes('cards:read')) await read('/api/flags?status=all&limit=200');
        await read('/api/worklist');
        const everything = lists.join('\n');
        for (const id of [
          other.records.person,
          other.records.request,
          other.records.workstation,
          ...other.records.flaggedSerials,
          ...other.records.secrets,
        ]) {
          expect(everything, `${label} sees ${id}`).not.toContain(id);
        }
      }
    }
  });

  it('lets each trust’s own RA manager reach every one of these records (the ids are real)', async () => {
    // Last, since it changes them: closes, revokes, decides.
    for (const trust of [rwg, rxx]) {
      for (const op of withIds()) {
        const c = crossCases[key(op)];
        if (!c) continue;
        const res = await call(op, trust.manager, c.params(trust.records), c.body?.(trust.records));
        const label = `${trust.records.trust} manager ${key(op)}: ${await res.clone().text()}`;
        if (c.managerGets) {
          expect(res.status, label).toBe(c.managerGets);
          continue;
        }
        expect([401, 403, 404], label).not.toContain(res.status);
        expect(res.status, label).toBeLessThan(500);
      }
    }
  });
});
