import { createHmac } from 'node:crypto';
import { asc, eq, gte, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { auditCheckpoints, auditEvents } from '../../db/schema/audit.ts';
import {
  auditHash,
  canonicalJson,
  keyedAuditHash,
} from '../../server/services/audit/audit-hash.ts';
import { deriveAuditKeys } from '../../server/services/audit/audit-keys.ts';
import { checkpointSignatureHolds } from '../../server/services/audit/checkpoints.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Published {
  id: number;
  eventCount: number;
  lastEventId: number;
  lastHash: string;
  createdAt: string;
  keyId: string;
  signature: string;
  signedText: string;
}
interface Verdict {
  ok: boolean;
  checked: number;
  firstBrokenId: number | null;
  problem: string | null;
  legacyEvents: number;
  from: { checkpointId: number; lastEventId: number; eventCount: number } | null;
  checkpoint: { signatureValid: boolean; reached: boolean; problem: string | null } | null;
  lastFullVerification: { id: string } | null;
}

/** What a database owner or superuser can do: switch the guards off, change rows, switch them on. */
async function behindTheTriggers(db: Database, change: () => Promise<unknown>) {
  await db.execute(sql`alter table audit_events disable trigger user`);
  await db.execute(sql`alter table audit_checkpoints disable trigger user`);
  try {
    await change();
  } finally {
    await db.execute(sql`alter table audit_events enable trigger user`);
    await db.execute(sql`alter table audit_checkpoints enable trigger user`);
  }
}

type Row = typeof auditEvents.$inferSelect;
const contentOf = (r: Row) => ({
  occurredAt: r.occurredAt,
  actorAccountId: r.actorAccountId,
  actorUsername: r.actorUsername,
  actorWorkstationId: r.actorWorkstationId,
  action: r.action,
  subjectType: r.subjectType,
  subjectId: r.subjectId,
  summary: r.summary,
  requestId: r.requestId,
  address: r.address,
});

/**
 * An attacker's rewrite: edit one event, then recompute every hash from there on with
 * `rehash`, so each link and hash looks right to anyone without the audit key.
 */
async function editAndRehash(
  db: Database,
  victim: number,
  rehash: (prevHash: string, row: Row) => { hash: string; hashVersion: number },
  fromId = victim,
) {
  await behindTheTriggers(db, async () => {
    await db
      .update(auditEvents)
      .set({ summary: { forged: true } })
      .where(eq(auditEvents.id, victim));
    const rows = await db
      .select()
      .from(auditEvents)
      .where(gte(auditEvents.id, fromId))
      .orderBy(asc(auditEvents.id));
    const [before] = await db
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .where(sql`${auditEvents.id} < ${fromId}`)
      .orderBy(sql`${auditEvents.id} desc`)
      .limit(1);
    let prev = before?.hash ?? '0'.repeat(64);
    for (const row of rows) {
      const { hash, hashVersion } = rehash(prev, row);
      await db
        .update(auditEvents)
        .set({ prevHash: prev, hash, hashVersion })
        .where(eq(auditEvents.id, row.id));
      prev = hash;
    }
  });
}

describe.each(testDrivers)('tampering with the audit trail (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
  });
  afterAll(() => t.close());

  const get = async <T>(path: string) => {
    const res = await t.app.request(path, { headers: manager.headers });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const verify = (checkpoint?: Published) =>
    get<Verdict>(
      `/api/audit/verify${
        checkpoint
          ? `?${new URLSearchParams({
              eventCount: String(checkpoint.eventCount),
              lastEventId: String(checkpoint.lastEventId),
              lastHash: checkpoint.lastHash,
              createdAt: checkpoint.createdAt,
              keyId: checkpoint.keyId,
              signature: checkpoint.signature,
            })}`
          : ''
      }`,
    );
  const checkpointNow = async () => {
    const res = await t.app.request('/api/audit/checkpoints', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Published;
  };
  const someEvents = async (n: number) => {
    for (let i = 0; i < n; i++) await t.login('staff');
  };
  const newestIds = async (n: number) =>
    (await t.db.select({ id: auditEvents.id }).from(auditEvents).orderBy(sql`id desc`).limit(n))
      .map((r) => r.id)
      .reverse();

  it('publishes a signed checkpoint that anyone can check with the public key', async () => {
    await someEvents(2);
    const made = await checkpointNow();
    const res = await t.app.request('/api/audit/checkpoint'); // no session: public
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      checkpoint: Published;
      publicKey: string;
      keyId: string;
    };
    expect(body.checkpoint).toEqual(made);
    const { verify: check, createPublicKey } = await import('node:crypto');
    const key = createPublicKey(body.publicKey);
    const text = Buffer.from(body.checkpoint.signedText);
    expect(check(null, text, key, Buffer.from(body.checkpoint.signature, 'base64'))).toBe(true);
    expect(body.checkpoint.signedText).toContain(`event-count ${made.eventCount}`);
    // A changed count no longer checks.
    const forged = Buffer.from(
      body.checkpoint.signedText.replace(/event-count \d+/, 'event-count 1'),
    );
    expect(check(null, forged, key, Buffer.from(body.checkpoint.signature, 'base64'))).toBe(false);
    const [count] = await t.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents);
    const [last] = await newestIds(1);
    expect(made.eventCount).toBe(count?.n);
    expect(made.lastEventId).toBe(last);
  });

  it('verifies incrementally from the newest checkpoint, walking forward only', async () => {
    const cp = await checkpointNow();
    await someEvents(3);
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: true, checked: 3, firstBrokenId: null });
    expect(verdict.from).toMatchObject({ checkpointId: cp.id, lastEventId: cp.lastEventId });
    // And the kept checkpoint is still reached.
    expect((await verify(cp)).checkpoint).toEqual({
      signatureValid: true,
      reached: true,
      problem: null,
    });
  });

  it('refuses a checkpoint that was not signed with the audit key', async () => {
    const cp = await checkpointNow();
    const verdict = await verify({ ...cp, eventCount: cp.eventCount + 5 });
    expect(verdict.ok).toBe(false);
    expect(verdict.checkpoint).toMatchObject({ signatureValid: false, reached: false });
    // A half-given checkpoint is a 400 naming what is missing.
    const res = await t.app.request(`/api/audit/verify?eventCount=3`, {
      headers: manager.headers,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/lastHash/);
  });

  it('finds a background full verification intact, with its progress', async () => {
    const res = await t.app.request('/api/audit/verifications', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { id: string; status: string; total: number };
    expect(started.status).toBe('running');
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'intact', firstBrokenId: null });
    expect(done.checked).toBe(started.total);
    expect((await verify()).lastFullVerification).toMatchObject({ id: started.id });
  });

  async function finished(id: string) {
    for (let i = 0; i < 200; i++) {
      const v = await get<{ status: string; checked: number; firstBrokenId: number | null }>(
        `/api/audit/verifications/${id}`,
      );
      if (v.status !== 'running') return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`verification ${id} still running after 200 polls`);
  }

  it('detects a deleted tail against a checkpoint a monitor kept', async () => {
    await someEvents(2);
    const kept = await checkpointNow();
    await someEvents(2);
    // The attacker deletes the newest events, and every checkpoint that named them.
    await behindTheTriggers(t.db, async () => {
      await t.db.execute(sql`delete from audit_events where id > ${kept.lastEventId - 2}`);
      await t.db.execute(
        sql`delete from audit_checkpoints where last_event_id > ${kept.lastEventId - 2}`,
      );
    });
    // What is left is a whole chain: without the kept checkpoint, nothing shows.
    expect((await verify()).ok).toBe(true);
    const verdict = await verify(kept);
    expect(verdict.ok).toBe(false);
    expect(verdict.checkpoint).toMatchObject({ signatureValid: true, reached: false });
    expect(verdict.problem).toMatch(/deleted/);
    expect(verdict.firstBrokenId).toBe(kept.lastEventId);
  });

  it('detects a deleted tail when the stored checkpoint is left in place', async () => {
    await someEvents(3);
    await checkpointNow();
    const [, , last] = await newestIds(3);
    await behindTheTriggers(t.db, () =>
      t.db.execute(sql`delete from audit_events where id = ${last ?? 0}`),
    );
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: false, firstBrokenId: last });
    expect(verdict.problem).toMatch(/deleted/);
  });
});

describe.each(testDrivers)('a rewritten audit trail (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
    for (const user of ['agent', 'sponsor', 'staff', 'lsa']) await t.login(user);
  });
  afterAll(() => t.close());

  const verify = async () => {
    const res = await t.app.request('/api/audit/verify', { headers: manager.headers });
    return (await res.json()) as Verdict;
  };
  const victimId = async () => {
    const rows = await t.db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(eq(auditEvents.action, 'auth.login'))
      .orderBy(asc(auditEvents.id));
    const id = rows[1]?.id;
    if (!id) throw new Error('no sign-in recorded');
    return id;
  };

  it('detects an edit whose chain was recomputed with plain SHA-256', async () => {
    const victim = await victimId();
    expect((await verify()).ok).toBe(true);
    await editAndRehash(t.db, victim, (prev, row) => ({
      hash: auditHash(prev, contentOf(row)),
      hashVersion: 2,
    }));
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: victim });
  });

  it('detects an edit whose chain was recomputed with a key that is not the audit key', async () => {
    const victim = await victimId();
    const wrong = deriveAuditKeys('an-attacker-s-guess-at-the-key-0123456789');
    await editAndRehash(t.db, victim, (prev, row) => ({
      hash: keyedAuditHash(wrong.chainKey, prev, contentOf(row)),
      hashVersion: 2,
    }));
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: victim });
    // Nor does the right algorithm with the raw secret instead of the derived key help.
    await editAndRehash(t.db, victim, (prev, row) => ({
      hash: createHmac('sha256', 'test-audit-key-0123456789abcdef-0123456789')
        .update(`v2\n${prev}\n`)
        .update(canonicalJson({ ...contentOf(row), occurredAt: row.occurredAt.toISOString() }))
        .digest('hex'),
      hashVersion: 2,
    }));
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: victim });
  });

  it('detects the whole trail passed off as the early unkeyed chain, against a checkpoint', async () => {
    // Put the trail right first (as the key's holder could), then sign a checkpoint over it.
    const keys = t.ctx.auditKeys;
    await editAndRehash(
      t.db,
      await victimId(),
      (prev, row) => ({
        hash: keyedAuditHash(keys.chainKey, prev, contentOf(row)),
        hashVersion: 2,
      }),
      1,
    );
    expect((await verify()).ok).toBe(true);
    const cp = await t.app.request('/api/audit/checkpoints', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(cp.status).toBe(201);
    // Every row relabelled version 1 and rehashed with plain SHA-256 from the first.
    const victim = await victimId();
    await editAndRehash(
      t.db,
      victim,
      (prev, row) => ({ hash: auditHash(prev, contentOf(row)), hashVersion: 1 }),
      1,
    );
    const verdict = await verify();
    expect(verdict.ok).toBe(false);
    expect(verdict.problem).toMatch(/rewritten/);
    // A plain row after keyed ones is a break too (the signed checkpoint aside).
    const started = await t.app.request('/api/audit/verifications', {
      method: 'POST',
      headers: manager.headers,
    });
    const { id } = (await started.json()) as { id: string };
    let full: { status: string; problem: string | null } = { status: 'running', problem: null };
    for (let i = 0; i < 200 && full.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const res = await t.app.request(`/api/audit/verifications/${id}`, {
        headers: manager.headers,
      });
      full = (await res.json()) as typeof full;
    }
    expect(full.status).toBe('broken');
  });
});

/** Polls a background full verification until it is done. */
async function fullVerification(t: TestApp, manager: SignedIn) {
  const started = await t.app.request('/api/audit/verifications', {
    method: 'POST',
    headers: manager.headers,
  });
  expect(started.status).toBe(202);
  const { id } = (await started.json()) as { id: string };
  let full = {
    status: 'running',
    problem: null as string | null,
    firstBrokenId: null as number | null,
    legacyEvents: 0,
  };
  for (let i = 0; i < 200 && full.status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const res = await t.app.request(`/api/audit/verifications/${id}`, {
      headers: manager.headers,
    });
    full = (await res.json()) as typeof full;
  }
  return full;
}

describe.each(testDrivers)('a trail relabelled unkeyed by a database superuser (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
    for (const user of ['agent', 'sponsor', 'staff', 'lsa']) await t.login(user);
    const cp = await t.app.request('/api/audit/checkpoints', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(cp.status).toBe(201);
  });
  afterAll(() => t.close());

  it('is a break however whole the plain chain looks, with no checkpoint left to compare', async () => {
    const [first] = await t.db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .orderBy(asc(auditEvents.id))
      .limit(1);
    const [victim] = await t.db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(eq(auditEvents.action, 'auth.login'))
      .orderBy(asc(auditEvents.id))
      .limit(1);
    if (!first || !victim) throw new Error('no events');
    // Every row relabelled version 1 and rehashed with plain SHA-256 from the first, one
    // edited, and every checkpoint deleted: the chain is whole to anyone without the key.
    await editAndRehash(
      t.db,
      victim.id,
      (prev, row) => ({ hash: auditHash(prev, contentOf(row)), hashVersion: 1 }),
      1,
    );
    await behindTheTriggers(t.db, () => t.db.execute(sql`delete from audit_checkpoints`));

    const res = await t.app.request('/api/audit/verify', { headers: manager.headers });
    const verdict = (await res.json()) as Verdict;
    expect(verdict).toMatchObject({ ok: false, firstBrokenId: first.id, legacyEvents: 0 });
    expect(verdict.problem).toContain(
      `Event ${first.id} is unkeyed, but this deployment accepts only 0 unkeyed events (AUDIT_UNKEYED_EVENTS)`,
    );

    // No checkpoint is signed over it.
    const cp = await t.app.request('/api/audit/checkpoints', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(cp.status).toBe(409);
    expect(await cp.text()).toMatch(/is unkeyed, but this deployment accepts only 0/);
    const [stored] = await t.db.select({ n: sql<number>`count(*)::int` }).from(auditCheckpoints);
    expect(stored?.n).toBe(0);

    // The background full verification finds it too.
    const full = await fullVerification(t, manager);
    expect(full).toMatchObject({ status: 'broken', firstBrokenId: first.id });
    expect(full.problem).toMatch(/is unkeyed, but this deployment accepts only 0/);
  });
});

describe.each(testDrivers)('an upgraded trail with a configured unkeyed prefix (%s)', (driver) => {
  const prefix = 4;
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { AUDIT_UNKEYED_EVENTS: String(prefix) } });
    manager = await t.login('manager');
    for (const user of ['agent', 'sponsor', 'staff']) await t.login(user);
  });
  afterAll(() => t.close());

  /** The trail as an upgrade leaves it: its first `n` events plain, the rest keyed. */
  async function upgradedShape(n: number) {
    const keys = t.ctx.auditKeys;
    await behindTheTriggers(t.db, async () => {
      const rows = await t.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
      let prev = '0'.repeat(64);
      for (const [i, row] of rows.entries()) {
        const plain = i < n;
        const content = plain ? { ...contentOf(row), actorWorkstationId: null } : contentOf(row);
        const hash = plain
          ? auditHash(prev, content)
          : keyedAuditHash(keys.chainKey, prev, content);
        await t.db
          .update(auditEvents)
          .set({
            prevHash: prev,
            hash,
            hashVersion: plain ? 1 : 2,
            actorWorkstationId: content.actorWorkstationId,
          })
          .where(eq(auditEvents.id, row.id));
        prev = hash;
      }
      await t.db.execute(sql`delete from audit_checkpoints`);
    });
  }

  it('verifies, signs checkpoints naming the setting, and passes the full verification', async () => {
    await upgradedShape(prefix);
    const res = await t.app.request('/api/audit/verify', { headers: manager.headers });
    expect(await res.json()).toMatchObject({ ok: true, legacyEvents: prefix, firstBrokenId: null });
    const made = await t.app.request('/api/audit/checkpoints', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(made.status).toBe(201);
    const cp = (await made.json()) as Published & { unkeyedEvents: number };
    expect(cp.unkeyedEvents).toBe(prefix);
    expect(cp.signedText).toContain(`unkeyed-events ${prefix}`);
    // Signed under this setting, it does not vouch for the trail under another.
    const fields = { ...cp, createdAt: new Date(cp.createdAt) };
    expect(checkpointSignatureHolds(t.ctx.auditKeys, fields)).toBe(true);
    const otherSetting = deriveAuditKeys('test-audit-key-0123456789abcdef-0123456789', 29);
    expect(checkpointSignatureHolds(otherSetting, fields)).toBe(false);
    expect(await fullVerification(t, manager)).toMatchObject({
      status: 'intact',
      legacyEvents: prefix,
    });
  });

  it('breaks at the first unkeyed event beyond the configured count', async () => {
    await upgradedShape(prefix + 1);
    const ids = (
      await t.db.select({ id: auditEvents.id }).from(auditEvents).orderBy(asc(auditEvents.id))
    ).map((r) => r.id);
    const beyond = ids[prefix];
    const res = await t.app.request('/api/audit/verify', { headers: manager.headers });
    const verdict = (await res.json()) as Verdict;
    expect(verdict).toMatchObject({ ok: false, firstBrokenId: beyond });
    expect(verdict.problem).toContain(
      `Event ${beyond} is unkeyed, but this deployment accepts only ${prefix} unkeyed events (AUDIT_UNKEYED_EVENTS)`,
    );
  });
});
