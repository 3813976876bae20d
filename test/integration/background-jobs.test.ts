import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRuns } from '../../db/schema/background.ts';
import { unlockCodes } from '../../db/schema/card-jobs.ts';
import { registerJobType } from '../../server/jobs/job-types.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

// A job that fails its first attempt, as one would on a lost connection: the queue must run
// it again after its back-off, and both runs must be on record. Registered before the queue
// starts, as every job type is.
let flakyAttempts = 0;
registerJobType({
  name: 'test-flaky',
  description: 'Fails once, then succeeds (test only).',
  retryLimit: 2,
  retryDelaySeconds: 1,
  async run() {
    flakyAttempts += 1;
    if (flakyAttempts === 1) throw new Error('the first attempt failed');
    return { attempts: flakyAttempts };
  },
});

describe.each(testDrivers)('background jobs on the queue (%s)', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(driver, { queue: true });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('takes a queued job in a worker and records its run', async () => {
    const id = await t.queue?.send('expiry-scan');
    expect(id).toBeTruthy();
    await waitFor(
      async () =>
        (
          await t.db
            .select()
            .from(jobRuns)
            .where(and(eq(jobRuns.queueJobId, id ?? ''), eq(jobRuns.outcome, 'succeeded')))
        ).length === 1,
      'the queued expiry scan to be run and recorded',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }, 60_000);

  it('retries a failed job with back-off, and records both runs', async () => {
    flakyAttempts = 0;
    const id = await t.queue?.send('test-flaky');
    await waitFor(
      async () =>
        (
          await t.db
            .select()
            .from(jobRuns)
            .where(and(eq(jobRuns.queueJobId, id ?? ''), eq(jobRuns.outcome, 'succeeded')))
        ).length === 1,
      'the retried job to succeed',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const runs = await t.db
      .select()
      .from(jobRuns)
      .where(eq(jobRuns.queueJobId, id ?? ''))
      .orderBy(asc(jobRuns.startedAt), asc(jobRuns.outcome));
    expect(runs.map((r) => [r.outcome, r.error])).toEqual([
      ['failed', 'the first attempt failed'],
      ['succeeded', null],
    ]);
  }, 60_000);

  it('applies an ESR import on the queue: the apply is a queued run, recorded with its counts', async () => {
    const manager = await t.login('manager');
    const csv = [
      'employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date',
      '20000001,Queue,Ada,1988-02-14,ada.queue@demo.nhs.example,RWG01,R8001,2026-01-05,',
      '20000002,Queue,Bea,1979-07-03,,RWG02,R8009,2025-11-01,2027-10-31',
    ].join('\n');
    const uploaded = await t.app.request('/api/esr-imports?fileName=queue.csv', {
      method: 'POST',
      headers: { ...manager.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { id } = (await uploaded.json()) as { id: string };
    const apply = await t.app.request(`/api/esr-imports/${id}/apply`, {
      method: 'POST',
      headers: manager.headers,
    });
    expect(apply.status, await apply.clone().text()).toBe(202);
    const run = async () =>
      (
        await t.db
          .select()
          .from(jobRuns)
          .where(and(eq(jobRuns.job, 'import-apply'), eq(jobRuns.outcome, 'succeeded')))
      )[0];
    await waitFor(async () => !!(await run()), 'the queued import to be applied', {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect((await run())?.trigger).toBe('queue');
    expect((await run())?.counts).toEqual({ batches: 1, lines: 2 });
    const view = (await (
      await t.app.request(`/api/esr-imports/${id}`, { headers: manager.headers })
    ).json()) as { status: string; done: number };
    expect(view).toMatchObject({ status: 'applied', done: 2 });
  }, 60_000);

  it('shows the runs to RA managers only, and lets them run a job now', async () => {
    const manager = await t.login('manager');
    const listed = await t.app.request('/api/background/runs', { headers: manager.headers });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as {
      jobs: { name: string; schedule: string | null; when: string; runByHand: boolean }[];
      runs: { job: string; outcome: string; process: string }[];
    };
    expect(body.jobs.map((j) => j.name)).toEqual(
      expect.arrayContaining([
        'expiry-scan',
        'send-mail',
        'position-expiry',
        'crl-refresh',
        'purge-old-records',
      ]),
    );
    expect(body.jobs.find((j) => j.name === 'expiry-scan')?.schedule).toBe('0 7 * * *');
    expect(body.jobs.find((j) => j.name === 'expiry-scan')?.when).toBe('Every day at 07:00');
    expect(body.runs.some((r) => r.job === 'expiry-scan' && r.outcome === 'succeeded')).toBe(true);

    const run = await t.app.request('/api/background/jobs/position-expiry/runs', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({
      job: 'position-expiry',
      trigger: 'manual',
      outcome: 'succeeded',
      counts: { ended: 0 },
    });
    const unknown = await t.app.request('/api/background/jobs/no-such-job/runs', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(unknown.status).toBe(404);
    // Applying an import needs the import: it is queued by Apply, never run by hand.
    expect(body.jobs.find((j) => j.name === 'import-apply')).toMatchObject({ runByHand: false });
    expect(body.jobs.find((j) => j.name === 'expiry-scan')).toMatchObject({ runByHand: true });
    const byHand = await t.app.request('/api/background/jobs/import-apply/runs', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(byHand.status).toBe(409);
    expect(JSON.stringify(await byHand.json())).toMatch(/not by hand/);

    for (const username of ['advanced', 'agent', 'sponsor', 'staff']) {
      const who = await t.login(username);
      const seen = await t.app.request('/api/background/runs', { headers: who.headers });
      expect(seen.status, username).toBe(403);
      const ran = await t.app.request('/api/background/jobs/expiry-scan/runs', {
        method: 'POST',
        headers: who.headers,
      });
      expect(ran.status, username).toBe(403);
    }
    expect((await t.app.request('/api/background/runs')).status).toBe(401);
  }, 60_000);

  it('purges spent unlock codes and old runs, and keeps what is still needed', async () => {
    const now = t.clock.now();
    const day = 86_400_000;
    const personId = await demoPersonId(t, 'Sky');
    await t.db.insert(unlockCodes).values([
      {
        personId,
        email: 'sky.staff@demo.nhs.example',
        codeHash: 'spent',
        createdAt: new Date(now.getTime() - 3 * day),
        expiresAt: new Date(now.getTime() - 3 * day + 15 * 60_000),
      },
      {
        personId,
        email: 'sky.staff@demo.nhs.example',
        codeHash: 'recent',
        createdAt: new Date(now.getTime() - 60_000),
        expiresAt: new Date(now.getTime() + 14 * 60_000),
      },
    ]);
    await t.db.insert(jobRuns).values({
      job: 'send-mail',
      trigger: 'schedule',
      process: 'gone:1',
      startedAt: new Date(now.getTime() - 91 * day),
      finishedAt: new Date(now.getTime() - 91 * day),
      outcome: 'succeeded',
    });
    // A run whose process was killed: never finished.
    const [lost] = await t.db
      .insert(jobRuns)
      .values({
        job: 'expiry-scan',
        trigger: 'schedule',
        process: 'killed:2',
        startedAt: new Date(now.getTime() - 31 * 60_000),
        outcome: 'running',
      })
      .returning({ id: jobRuns.id });
    const manager = await t.login('manager');
    const res = await t.app.request('/api/background/jobs/purge-old-records/runs', {
      method: 'POST',
      headers: manager.headers,
    });
    expect(await res.json()).toMatchObject({
      outcome: 'succeeded',
      counts: { unlockCodes: 1, jobRuns: 1, lostRuns: 1 },
    });
    const [marked] = await t.db
      .select()
      .from(jobRuns)
      .where(eq(jobRuns.id, lost?.id ?? ''));
    expect(marked).toMatchObject({
      outcome: 'failed',
      error: 'No end was recorded within 30 minutes: the process running it stopped.',
    });
    const left = await t.db
      .select({ codeHash: unlockCodes.codeHash })
      .from(unlockCodes)
      .where(eq(unlockCodes.personId, personId));
    expect(left.map((c) => c.codeHash)).toEqual(['recent']);
  });
});
