import { randomUUID } from 'node:crypto';
import { asc, desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/client.ts';
import { auditEvents } from '../../db/schema/audit.ts';
import { refusalsPerMinute } from '../../server/http/record-refusal.ts';
import { auditHash, genesisHash } from '../../server/services/audit/audit-hash.ts';
import { deriveAuditKeys } from '../../server/services/audit/audit-keys.ts';
import { recordAuditEvent } from '../../server/services/audit/record-audit-event.ts';
import { verifyAuditChain } from '../../server/services/audit/verify-audit-chain.ts';
import { type ServiceContext, withTransaction } from '../../server/services/context.ts';
import { openTestDatabase, testDrivers } from '../support/databases.ts';
import { demoPersonId } from '../support/people.ts';
import { activated } from '../support/second-trust.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface AuditPage {
  items: {
    id: number;
    action: string;
    actor: { accountId: string | null; username: string | null; workstationId: string | null };
    summary: Record<string, unknown>;
    address: string | null;
    hashVersion: number;
  }[];
}

describe.each(testDrivers)('the early unkeyed trail (%s)', (driver) => {
  let handle: DatabaseHandle;
  let ctx: ServiceContext;
  beforeAll(async () => {
    handle = await openTestDatabase(driver);
    ctx = {
      db: handle.db,
      actor: null,
      requestId: null,
      address: null,
      now: () => new Date('2026-11-25T09:00:00.000Z'),
      // This deployment was upgraded from a trail of 3 unkeyed events (AUDIT_UNKEYED_EVENTS=3).
      auditKeys: deriveAuditKeys('legacy-test-audit-key-0123456789abcdef', 3),
    };
  });
  afterAll(() => handle.close());

  /** A row as the server wrote it before the chain was keyed (version 1, plain SHA-256). */
  async function legacyEvent(action: string) {
    const [last] = await handle.db
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.id))
      .limit(1);
    const prevHash = last?.hash ?? genesisHash;
    const content = {
      occurredAt: new Date('2026-01-01T00:00:00.000Z'),
      actorAccountId: null,
      actorUsername: 'manager',
      action,
      subjectType: 'test',
      subjectId: null,
      summary: { n: 1 },
      requestId: null,
      address: null,
    };
    const [row] = await handle.db
      .insert(auditEvents)
      .values({ ...content, prevHash, hash: auditHash(prevHash, content), hashVersion: 1 })
      .returning({ id: auditEvents.id });
    return row?.id ?? 0;
  }
  const keyedEvent = () =>
    withTransaction(ctx, (tx) =>
      recordAuditEvent(tx, { action: 'test.keyed', subjectType: 'test' }),
    );

  it('accepts early events only before the first keyed one, and counts them', async () => {
    for (let i = 0; i < 3; i++) await legacyEvent('test.legacy');
    await keyedEvent();
    await keyedEvent();
    const whole = await verifyAuditChain(ctx);
    expect(whole).toMatchObject({ ok: true, checked: 5, legacyEvents: 3 });
    // The first keyed event's HMAC covers the last early hash: an early row edited
    // and rehashed (plain SHA-256 needs no key) breaks the link into the keyed chain.
    const rows = await handle.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    expect(rows.map((r) => r.hashVersion)).toEqual([1, 1, 1, 2, 2]);
    expect(rows[3]?.prevHash).toBe(rows[2]?.hash);
    // Configured for fewer, the first unkeyed event beyond that count is a break.
    const fewer = await verifyAuditChain({
      ...ctx,
      auditKeys: deriveAuditKeys('legacy-test-audit-key-0123456789abcdef', 2),
    });
    expect(fewer).toMatchObject({ ok: false, firstBrokenId: rows[2]?.id, legacyEvents: 2 });
    expect(fewer.problem).toMatch(/accepts only 2 unkeyed events \(AUDIT_UNKEYED_EVENTS\)/);

    const late = await legacyEvent('test.late_legacy');
    const verdict = await verifyAuditChain(ctx);
    expect(verdict).toMatchObject({ ok: false, firstBrokenId: late });
    expect(verdict.problem).toMatch(/unkeyed hash after keyed events/);
  });
});

describe.each(testDrivers)('who the audit trail names (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
  });
  afterAll(() => t.close());

  const events = async (query: string) => {
    const res = await t.app.request(`/api/audit?${query}`, { headers: manager.headers });
    expect(res.status).toBe(200);
    return ((await res.json()) as AuditPage).items;
  };
  const json = { 'content-type': 'application/json' };

  it('names the workstation whose reader agent raised a card flag', async () => {
    const registered = await t.app.request('/api/workstations', {
      method: 'POST',
      headers: manager.headers,
      body: JSON.stringify({ name: 'Audit desk', odsCode: 'RWG01' }),
    });
    expect(registered.status).toBe(201);
    const { workstation, enrolment } = (await registered.json()) as {
      workstation: { id: string };
      enrolment: { code: string };
    };
    const enrolled = await t.app.request('/api/agent/enrol', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ code: enrolment.code }),
    });
    const { credential } = (await enrolled.json()) as { credential: string };
    const serial = randomUUID().replace(/-/g, '');
    const observed = await t.app.request('/api/agent/observations', {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${credential}` },
      body: JSON.stringify({
        idempotencyKey: randomUUID(),
        sequence: 1,
        observedAt: t.clock.now().toISOString(),
        kind: 'card_inserted',
        reader: 'RA Test Reader 00 00',
        atr: null,
        cardSerial: serial,
        card: {
          cardType: 'PIV',
          chuid: null,
          certificates: [],
          pin: { triesLeft: 0, blocked: true, verified: false },
        },
        error: null,
      }),
    });
    expect(observed.status).toBe(201);
    const raised = await events('action=card.flag_raised');
    expect(raised.length).toBeGreaterThan(0);
    for (const e of raised) {
      expect(e.actor).toEqual({
        accountId: null,
        username: null,
        name: null,
        personId: null,
        workstationId: workstation.id,
        workstationName: 'Audit desk',
      });
      expect(e.hashVersion).toBe(2);
    }
    // A person's own actions name no workstation.
    const [login] = await events('action=auth.login');
    expect(login?.actor.workstationId).toBeNull();
    const verdict = await t.app.request('/api/audit/verify', { headers: manager.headers });
    expect(await verdict.json()).toMatchObject({ ok: true });
  });
});

describe.each(testDrivers)('refused requests in the audit trail (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let staff: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    // A refusal by nobody signed in names no organisation: only a deployment-wide RA manager
    // reads it (list-audit-events.ts).
    manager = await activated(t, 'ra.everywhere', 'ra_manager', null, 'Deployment Overseer');
    staff = await t.login('staff');
  });
  afterAll(() => t.close());

  const refusals = async () => {
    const res = await t.app.request('/api/audit?action=security.refused&limit=200', {
      headers: manager.headers,
    });
    return ((await res.json()) as AuditPage).items;
  };

  it('records a forbidden call once, naming who, what and where, never the body or query', async () => {
    const res = await t.app.request('/api/audit?actor=Smith', { headers: staff.headers });
    expect(res.status).toBe(403);
    const [event, ...others] = await refusals();
    expect(others).toEqual([]);
    expect(event?.actor.username).toBe('staff');
    expect(event?.summary).toEqual({ method: 'GET', path: '/api/audit', refusal: 'FORBIDDEN' });
  });

  it('records a CSRF refusal, by address when nobody is signed in', async () => {
    const res = await t.app.request('/api/auth/login', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://evil.example',
        'x-forwarded-for': '203.0.113.9',
      },
      body: JSON.stringify({ username: 'manager', password: 'secret-guess' }),
    });
    expect(res.status).toBe(403);
    const [event] = await refusals();
    expect(event).toMatchObject({
      address: '203.0.113.9',
      actor: { accountId: null, username: null },
      summary: { method: 'POST', path: '/api/auth/login', refusal: 'CSRF' },
    });
    expect(JSON.stringify(event)).not.toContain('secret-guess');
  });

  it('records a separation-of-duties refusal', async () => {
    const agent = await t.login('agent');
    const me = await demoPersonId(t, 'Alex'); // Alex Agent
    const res = await t.app.request(`/api/people/${me}/assignments`, {
      method: 'POST',
      headers: agent.headers,
      body: JSON.stringify({ positionId: randomUUID() }),
    });
    expect(res.status).toBe(403);
    expect((await refusals())[0]?.summary).toMatchObject({ refusal: 'SEPARATION_OF_DUTIES' });
  });

  it('records at most the limit a minute for one caller, then says how many it left out', async () => {
    const flooder = await t.login('lsa');
    const before = (await refusals()).length;
    for (let i = 0; i < 1000; i++) {
      const res = await t.app.request('/api/audit', { headers: flooder.headers });
      expect(res.status).toBe(403);
    }
    const recorded = (await refusals()).filter((e) => e.actor.username === 'lsa');
    expect(recorded).toHaveLength(refusalsPerMinute);
    expect((await refusals()).length - before).toBe(refusalsPerMinute);
    // A minute on, the next one is recorded and says how many were left out.
    t.clock.advance(61_000);
    const again = await t.login('lsa');
    await t.app.request('/api/audit', { headers: again.headers });
    const [newest] = await refusals();
    expect(newest?.summary).toMatchObject({ suppressedBefore: 1000 - refusalsPerMinute });
  });
});
