import { createCipheriv, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardJobSteps, cardJobs } from '../../db/schema/card-jobs.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { recordAuditEvent } from '../../server/services/audit/record-audit-event.ts';
import { withTransaction } from '../../server/services/context.ts';
import { enrolDesk, newStarter, stockSerials } from '../support/card-jobs.ts';
import { testDrivers } from '../support/databases.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

/**
 * The agent's folded steps (`{steps: [...]}`, docs/card-jobs.md) attacked: more challenge
 * answers than allowed inside one call, order skipped with valid steps around the invalid
 * one, malformed batches, another workstation's credential, an ended job, twenty batches at
 * once; and the audit chain's cached head across a savepoint that rolls back.
 */
const factoryKey = Buffer.from('010203040506070801020304050607080102030405060708', 'hex');
const tdes = (key: Buffer, block: Buffer) => {
  const c = createCipheriv('des-ede3', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};
const rsa = () =>
  (generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey as KeyObject)
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
const challenge = (hex = '0011223344556677') => ({ step: 'management_challenge', challenge: hex });

interface Job {
  id: string;
  nonce: string;
}

describe.each(testDrivers)('attack on folded card-job steps (%s)', (driver) => {
  let t: TestApp;
  let desk: Awaited<ReturnType<typeof enrolDesk>>;
  let otherDesk: Awaited<ReturnType<typeof enrolDesk>>;
  let agent: SignedIn;
  let manager: SignedIn;
  let stock: string[];
  let nextStock = 0;

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    t.app.request(path, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const steps = (jobId: string, body: unknown, headers = desk.headers) =>
    post(`/api/agent/jobs/${jobId}/steps`, body, headers);
  const batch = (jobId: string, list: unknown[], headers = desk.headers) =>
    steps(jobId, { steps: list }, headers);

  /** Everything a call may change: the job's steps, its row, its card's row, its certificates. */
  async function snapshot(jobId: string) {
    const [job] = await t.db.select().from(cardJobs).where(eq(cardJobs.id, jobId));
    if (!job) throw new Error('no such job');
    const rows = await t.db
      .select()
      .from(cardJobSteps)
      .where(eq(cardJobSteps.jobId, jobId))
      .orderBy(asc(cardJobSteps.id));
    const [card] = await t.db.select().from(cards).where(eq(cards.id, job.cardId));
    if (!card) throw new Error('no card');
    const certs = await t.db
      .select({
        id: certificates.id,
        current: certificates.current,
        revokedAt: certificates.revokedAt,
      })
      .from(certificates)
      .where(eq(certificates.cardId, job.cardId))
      .orderBy(asc(certificates.id));
    return { job, steps: rows.map((r) => r.step), rows, card, certs };
  }

  async function verifyAudit() {
    const res = await t.app.request('/api/audit/verify', { headers: manager.headers });
    expect(res.status).toBe(200);
    return (await res.json()) as { ok: boolean; firstBrokenId: number | null };
  }

  /** A started issue job on a fresh stock card (which holds the factory transport key). */
  async function startedIssue(name: string) {
    const serial = stock[nextStock++];
    if (!serial) throw new Error('out of stock cards');
    const person = await newStarter(t, name);
    const asked = await post(
      '/api/card-jobs',
      { workstationId: desk.workstationId, kind: 'issue', cardSerial: serial, personId: person.id },
      agent.headers,
    );
    expect(asked.status, await asked.clone().text()).toBe(201);
    const job = (await asked.json()) as Job;
    const started = await post(
      `/api/agent/jobs/${job.id}/start`,
      { nonce: job.nonce, card: { serial } },
      desk.headers,
    );
    expect(started.status, await started.clone().text()).toBe(200);
    return { job, serial };
  }

  /** Through the management key and the certificates, folded as the agent does. */
  async function toPukRequested(jobId: string) {
    const block = Buffer.from('0011223344556677', 'hex');
    const first = await batch(jobId, [challenge(block.toString('hex'))]);
    const { responses } = (await first.json()) as { responses: string[] };
    expect(responses).toEqual([tdes(factoryKey, block).toString('hex')]);
    const apdu = await batch(jobId, [
      { step: 'management_authenticated', candidate: 0 },
      { step: 'management_key_apdu' },
    ]);
    expect(apdu.status, await apdu.clone().text()).toBe(200);
    // The answer holds each step's: the certificates and the PUKs together.
    const keys = await batch(jobId, [
      { step: 'management_key_set' },
      { step: 'keys_generated', publicKeys: { '9a': rsa(), '9c': rsa() } },
      { step: 'puk_requested' },
    ]);
    expect(keys.status, await keys.clone().text()).toBe(200);
    const answer = (await keys.json()) as {
      certificates: Record<string, string>;
      puks: string[];
      newPuk: string;
    };
    expect(Object.keys(answer.certificates).sort()).toEqual(['9a', '9c']);
    const written = await batch(jobId, [{ step: 'certificates_written' }]);
    expect(written.status, await written.clone().text()).toBe(200);
    return { puks: answer.puks, newPuk: answer.newPuk };
  }

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { SESSION_IDLE_MINUTES: '600' } });
    await seedDemoMorning(t);
    desk = await enrolDesk(t, 'RA desk (steps attack)');
    otherDesk = await enrolDesk(t, 'Other desk (steps attack)');
    agent = await t.login('agent');
    manager = await t.login('manager');
    stock = await stockSerials(t);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers no more management-key challenges inside one call than one per key and one more', async () => {
    const { job } = await startedIssue('Challenges');
    // A stock card may hold one key (transport): two challenges, then the job fails.
    const res = await batch(job.id, [challenge(), challenge(), challenge(), challenge()]);
    expect(res.status).toBe(409);
    const body = JSON.stringify(await res.json());
    expect(body).not.toMatch(/responses/);
    const after = await snapshot(job.id);
    expect(after.job.state).toBe('failed');
    expect(after.steps.filter((s) => s === 'management_challenge')).toHaveLength(2);
    expect(after.steps.at(-1)).toBe('failed');
    // Nothing more for it.
    expect((await batch(job.id, [challenge()])).status).toBe(409);

    // Spread over calls: two answers in all, then the job fails.
    const spread = (await startedIssue('Challenges2')).job;
    const two = await batch(spread.id, [challenge('0000000000000000'), challenge()]);
    expect(two.status).toBe(200);
    expect(((await two.json()) as { responses: string[] }).responses).toHaveLength(1);
    const third = await batch(spread.id, [challenge('ffffffffffffffff')]);
    expect(third.status).toBe(409);
    expect(JSON.stringify(await third.json())).not.toMatch(/responses/);
    const spreadAfter = await snapshot(spread.id);
    expect(spreadAfter.job.state).toBe('failed');
    expect(spreadAfter.steps.filter((s) => s === 'management_challenge')).toHaveLength(2);
  });

  it('refuses a batch that skips the order, whole, with nothing of it recorded', async () => {
    const { job } = await startedIssue('Skips');
    const refused = async (list: unknown[], status = 409) => {
      const before = await snapshot(job.id);
      const res = await batch(job.id, list);
      expect(res.status, `${JSON.stringify(list).slice(0, 120)}: ${await res.clone().text()}`).toBe(
        status,
      );
      const text = await res.text();
      // No secret or signature of the refused call's earlier steps comes back.
      expect(text).not.toMatch(/"(responses|apdu|certificates|puks|newPuk)"/);
      const after = await snapshot(job.id);
      expect(after.steps).toEqual(before.steps);
      expect(after.job).toEqual(before.job);
      expect(after.card).toEqual(before.card);
      expect(after.certs).toEqual(before.certs);
    };
    const keys = () => ({ step: 'keys_generated', publicKeys: { '9a': rsa(), '9c': rsa() } });
    // keys_generated before the card holds its own key, behind valid steps.
    await refused([challenge(), { step: 'management_authenticated', candidate: 0 }, keys()]);
    await refused([
      challenge(),
      { step: 'management_authenticated', candidate: 0 },
      { step: 'management_key_apdu' },
      keys(),
    ]);
    await refused([challenge(), { step: 'completed' }]);
    await refused([challenge(), { step: 'puk_requested' }]);
    await refused([challenge(), { step: 'management_authenticated', candidate: 1 }], 400);
    // A refused call used no challenge: the job still has both its challenges to give.
    const puk = await toPukRequested(job.id);
    expect(puk.puks).toHaveLength(1);
    await refused([{ step: 'pin_set', candidate: 1 }], 400);
    await refused([
      { step: 'pin_set', candidate: 0 },
      { step: 'pin_set', candidate: 0 },
    ]);
    await refused([{ step: 'pin_set', candidate: 0 }, { step: 'completed' }]);
    await refused([{ step: 'puk_changed' }]);
    await refused([{ step: 'puk_changed' }, { step: 'completed' }]);
    await refused([
      { step: 'pin_set', candidate: 0 },
      { step: 'puk_changed' },
      { step: 'puk_changed' },
    ]);
    await refused([
      { step: 'pin_set', candidate: 0 },
      { step: 'puk_changed' },
      { step: 'completed' },
      { step: 'completed' },
    ]);
    // The job carries on as if none of those were sent.
    expect((await snapshot(job.id)).job).toMatchObject({
      state: 'running',
      step: 'certificates_written',
    });
    const done = await batch(job.id, [
      { step: 'pin_set', candidate: 0 },
      { step: 'puk_changed' },
      { step: 'completed' },
    ]);
    expect(done.status, await done.clone().text()).toBe(200);
    const after = await snapshot(job.id);
    expect(after.job.state).toBe('succeeded');
    expect(after.card.state).toBe('active');
  });

  it('does not let `failed` after `completed` in one call fail a job that succeeded', async () => {
    const { job } = await startedIssue('CompletedThenFailed');
    await toPukRequested(job.id);
    const before = await snapshot(job.id);
    const res = await batch(job.id, [
      { step: 'pin_set', candidate: 0 },
      { step: 'puk_changed' },
      { step: 'completed' },
      { step: 'failed', error: 'after the end' },
    ]);
    const after = await snapshot(job.id);
    // Either the call is refused whole (a step after the end is 409), or at the very least a
    // job whose certificates became current and whose card became active is not `failed`.
    expect(
      { status: res.status, state: after.job.state, card: after.card.state },
      `${await res.clone().text()}; job steps ${after.steps.join(' → ')}; certificates current ${
        after.certs.filter((c) => c.current && !c.revokedAt).length
      }`,
    ).toEqual({ status: 409, state: 'running', card: before.card.state });
    expect(after.steps).toEqual(before.steps);
  });

  it('refuses malformed batches with a 400 naming the field, and records nothing', async () => {
    const { job } = await startedIssue('Shapes');
    const ok = challenge();
    // What is wrong, and the field that says where: the step's index inside `steps` when one
    // step of the batch is wrong, so the agent knows which.
    const bodies: [string, unknown, string][] = [
      ['no steps', { steps: [] }, 'steps'],
      ['five steps', { steps: [ok, ok, ok, ok, ok] }, 'steps'],
      ['failed first', { steps: [{ step: 'failed', error: 'x' }, ok] }, 'steps'],
      [
        'failed in the middle',
        {
          steps: [
            ok,
            { step: 'failed', error: 'x' },
            { step: 'management_authenticated', candidate: 0 },
          ],
        },
        'steps',
      ],
      ['nested steps', { steps: [{ steps: [ok] }] }, 'steps.0'],
      ['nested steps beside a step', { steps: [{ ...ok, steps: [ok] }] }, 'steps.0.steps'],
      ['steps and step together', { ...ok, steps: [ok] }, 'steps'],
      ['a number', { steps: [1] }, 'steps.0'],
      ['a string', { steps: ['management_challenge'] }, 'steps.0'],
      ['null', { steps: [null] }, 'steps.0'],
      ['an array', { steps: [[ok]] }, 'steps.0'],
      ['steps not an array', { steps: ok }, 'steps'],
      ['steps a string', { steps: 'management_challenge' }, 'steps'],
      ['steps null', { steps: null }, 'steps'],
      ['unknown key in a step', { steps: [{ ...ok, extra: 1 }] }, 'steps.0.extra'],
      ['unknown key beside steps', { steps: [ok], extra: 1 }, 'extra'],
      ['unknown step', { steps: [ok, { step: 'format_card' }] }, 'steps.1'],
      ['no step name', { steps: [ok, { challenge: '00' }] }, 'steps.1'],
      ['bad challenge after a good one', { steps: [ok, challenge('zz')] }, 'steps.1.challenge'],
      ['empty failure', { steps: [ok, { step: 'failed', error: '' }] }, 'steps.1.error'],
      [
        'long failure',
        { steps: [ok, { step: 'failed', error: 'x'.repeat(501) }] },
        'steps.1.error',
      ],
      [
        '__proto__ step',
        '{"steps":[{"__proto__":{"step":"completed"},"step":"management_challenge","challenge":"0011223344556677","x":1}]}',
        'steps.0',
      ],
    ];
    const before = await snapshot(job.id);
    for (const [what, body, field] of bodies) {
      const res = await steps(job.id, body);
      const text = await res.text();
      expect(res.status, `${what}: ${text}`).toBe(400);
      expect(text, what).not.toMatch(/"responses"/);
      const { error } = JSON.parse(text) as { error: { details?: { field: string }[] } };
      const fields = (error.details ?? []).map((d) => d.field);
      expect
        .soft(
          fields.some((f) => f === field || f.startsWith(`${field}.`)),
          `${what}: names ${field}, got ${fields.join(', ')}`,
        )
        .toBe(true);
    }
    // Huge: refused before anything is read into a step.
    for (const body of [
      { steps: [{ step: 'failed', error: 'x'.repeat(200_000) }] },
      { steps: [ok, { step: 'management_challenge', challenge: '00'.repeat(100_000) }] },
      { steps: Array.from({ length: 10_000 }, () => ok) },
    ]) {
      const res = await steps(job.id, body);
      expect([400, 413], JSON.stringify(body).slice(0, 60)).toContain(res.status);
    }
    const after = await snapshot(job.id);
    expect(after.steps).toEqual(before.steps);
    expect(after.job).toEqual(before.job);
    expect(after.card).toEqual(before.card);
    // And both challenges are still to be had.
    expect((await batch(job.id, [ok])).status).toBe(200);
    expect((await batch(job.id, [ok])).status).toBe(200);
  });

  it("answers another workstation's batch as no such job, and refuses a batch on an ended job", async () => {
    const { job } = await startedIssue('Elsewhere');
    const before = await snapshot(job.id);
    for (const list of [
      [challenge()],
      [challenge(), { step: 'failed', error: 'theirs' }],
      [{ step: 'failed', error: 'theirs' }],
    ]) {
      const res = await batch(job.id, list, otherDesk.headers);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toMatch(/responses/);
    }
    expect(await snapshot(job.id)).toEqual(before);

    expect(
      (await batch(job.id, [challenge(), { step: 'failed', error: 'card pulled' }])).status,
    ).toBe(200);
    const ended = await snapshot(job.id);
    expect(ended.job.state).toBe('failed');
    for (const list of [
      [challenge()],
      [{ step: 'failed', error: 'again' }],
      [challenge(), { step: 'failed', error: 'again' }],
      [{ step: 'completed' }],
    ]) {
      expect((await batch(job.id, list)).status).toBe(409);
    }
    expect(await snapshot(job.id)).toEqual(ended);
  });

  // PGlite takes one call at a time, PostgreSQL twenty: the answers must be the same.
  describe('twenty batches at once', () => {
    it('20 × [management_authenticated, management_key_apdu], then 20 × [puk_requested, certificates_written]: one wins each', async () => {
      const { job } = await startedIssue('Race');
      expect((await batch(job.id, [challenge()])).status).toBe(200);
      const race = async (list: unknown[]) => {
        const results = await Promise.all(Array.from({ length: 20 }, () => batch(job.id, list)));
        const statuses = results.map((r) => r.status);
        expect(
          statuses.filter((s) => s === 200),
          statuses.join(),
        ).toHaveLength(1);
        expect(
          statuses.filter((s) => s !== 200 && s !== 409),
          statuses.join(),
        ).toEqual([]);
        return results.find((r) => r.status === 200);
      };
      const apdu = await race([
        { step: 'management_authenticated', candidate: 0 },
        { step: 'management_key_apdu' },
      ]);
      if (!apdu) throw new Error('no call won');
      expect(((await apdu.json()) as { apdu: string }).apdu).toMatch(/^[0-9a-f]+$/);
      expect(
        (
          await batch(job.id, [
            { step: 'management_key_set' },
            { step: 'keys_generated', publicKeys: { '9a': rsa(), '9c': rsa() } },
          ])
        ).status,
      ).toBe(200);
      await race([{ step: 'puk_requested' }, { step: 'certificates_written' }]);
      await race([
        { step: 'pin_set', candidate: 0 },
        { step: 'puk_changed' },
        { step: 'completed' },
      ]);
      const after = await snapshot(job.id);
      expect(after.steps).toEqual([
        'started',
        'management_challenge',
        'management_authenticated',
        'management_key_apdu',
        'management_key_set',
        'keys_generated',
        'puk_requested',
        'certificates_written',
        'pin_set',
        'puk_changed',
        'completed',
      ]);
      expect(after.job.state).toBe('succeeded');
      expect(after.certs.filter((c) => c.current && !c.revokedAt)).toHaveLength(2);
      expect(await verifyAudit()).toMatchObject({ ok: true, firstBrokenId: null });
    });

    it('20 × four challenges at once give at most two answers in all, and fail the job once', async () => {
      const { job } = await startedIssue('RaceChallenges');
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          batch(job.id, [challenge(), challenge(), challenge(), challenge()]),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toEqual([]);
      expect(statuses.filter((s) => s !== 409)).toEqual([]);
      const after = await snapshot(job.id);
      expect(after.steps.filter((s) => s === 'management_challenge')).toHaveLength(2);
      expect(after.steps.filter((s) => s === 'failed')).toHaveLength(1);
      expect(await verifyAudit()).toMatchObject({ ok: true, firstBrokenId: null });
    });

    it('20 × [management_authenticated, failed] and 20 × [failed] at once end the job once, and the chain verifies', async () => {
      const { job } = await startedIssue('RaceFailed');
      expect((await batch(job.id, [challenge()])).status).toBe(200);
      const results = await Promise.all([
        ...Array.from({ length: 10 }, () =>
          batch(job.id, [
            { step: 'management_authenticated', candidate: 0 },
            { step: 'failed', error: 'card pulled' },
          ]),
        ),
        ...Array.from({ length: 10 }, () =>
          batch(job.id, [{ step: 'failed', error: 'card pulled' }]),
        ),
      ]);
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 200 && s !== 409)).toEqual([]);
      const after = await snapshot(job.id);
      expect(after.steps.filter((s) => s === 'failed')).toHaveLength(1);
      expect(
        after.steps.filter((s) => s === 'management_authenticated').length,
      ).toBeLessThanOrEqual(1);
      expect(await verifyAudit()).toMatchObject({ ok: true, firstBrokenId: null });
    });
  });

  it('keeps the audit chain whole when a savepoint between two events of one transaction rolls back', async () => {
    // No verb of the server's does this today (none catches a nested withTransaction and goes
    // on recording): the mechanism is driven directly, as audit.test.ts does.
    const event = (action: string) => ({ action, subjectType: 'test', subjectId: action });
    await withTransaction(t.ctx, async (tx) => {
      await recordAuditEvent(tx, event('test.outer_first'));
      await withTransaction(tx, async (inner) => {
        await recordAuditEvent(inner, event('test.inner_rolled_back'));
        throw new Error('roll the savepoint back');
      }).catch(() => undefined);
      await recordAuditEvent(tx, event('test.outer_second'));
    });
    // The savepoint takes the chain's lock first, then rolls back with it.
    await withTransaction(t.ctx, async (tx) => {
      await withTransaction(tx, async (inner) => {
        await recordAuditEvent(inner, event('test.inner_first_rolled_back'));
        await recordAuditEvent(inner, event('test.inner_second_rolled_back'));
        throw new Error('roll the savepoint back');
      }).catch(() => undefined);
      await recordAuditEvent(tx, event('test.outer_after'));
      // A savepoint that commits, then one that rolls back, then the outer again.
      await withTransaction(tx, (inner) => recordAuditEvent(inner, event('test.inner_kept')));
      await withTransaction(tx, async (inner) => {
        await recordAuditEvent(inner, event('test.inner_rolled_back_2'));
        throw new Error('roll back');
      }).catch(() => undefined);
      await recordAuditEvent(tx, event('test.outer_last'));
    });
    // Concurrent transactions doing the same, on PostgreSQL truly at once.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withTransaction(t.ctx, async (tx) => {
          await recordAuditEvent(tx, event(`test.race_${i}_a`));
          await withTransaction(tx, async (inner) => {
            await recordAuditEvent(inner, event(`test.race_${i}_rolled_back`));
            throw new Error('roll back');
          }).catch(() => undefined);
          await recordAuditEvent(tx, event(`test.race_${i}_b`));
        }),
      ),
    );
    expect(await verifyAudit()).toMatchObject({ ok: true, firstBrokenId: null });
    const kept = await t.app.request('/api/audit?action=test.inner_rolled_back', {
      headers: manager.headers,
    });
    expect(((await kept.json()) as { items: unknown[] }).items).toEqual([]);
  });
});
