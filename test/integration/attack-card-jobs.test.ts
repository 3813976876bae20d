import { createCipheriv, generateKeyPairSync, type KeyPairSyncResult } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../db/schema/accounts.ts';
import { cardJobs, unlockCodes } from '../../db/schema/card-jobs.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { createCard } from '../support/card-fixtures.ts';
import { enrolDesk, newStarter, stockSerials } from '../support/card-jobs.ts';
import { testDrivers } from '../support/databases.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { hostileStrings, wrongTypes } from '../support/hostile-values.ts';
import { secondTrust, type Trust } from '../support/second-trust.ts';
import { codeIn, type SmtpTestServer, startSmtpTestServer } from '../support/smtp-test-server.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

/**
 * The card-job routes attacked as a hostile insider or a stolen credential would
 * (docs/card-jobs.md): hostile values in every field, another trust's ids and credential,
 * the protocol replayed, skipped and reordered, separation of duties, and (on PostgreSQL)
 * twenty calls at once where one may win.
 */
const factoryKey = Buffer.from('010203040506070801020304050607080102030405060708', 'hex');
const tdes = (key: Buffer, block: Buffer) => {
  const c = createCipheriv('des-ede3', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};
const der = (
  pair: KeyPairSyncResult<string, string> | { publicKey: import('node:crypto').KeyObject },
) =>
  (pair.publicKey as import('node:crypto').KeyObject)
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
const rsa = (bits: number) => der(generateKeyPairSync('rsa', { modulusLength: bits }));
const ec = (namedCurve: string) => der(generateKeyPairSync('ec', { namedCurve }));
const hour = 3_600_000;

interface Job {
  id: string;
  nonce: string;
}

describe.each(testDrivers)('attack on card jobs (%s)', (driver) => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let desk: Awaited<ReturnType<typeof enrolDesk>>;
  let rxxDesk: { workstationId: string; headers: Record<string, string> };
  let rxx: Trust;
  let agent: SignedIn;
  let stock: string[];
  let nextStock = 0;
  const takeStock = () => {
    const serial = stock[nextStock++];
    if (!serial) throw new Error('out of stock cards');
    return serial;
  };

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    t.app.request(path, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const ask = (who: SignedIn, body: Record<string, unknown>) =>
    post('/api/card-jobs', { workstationId: desk.workstationId, ...body }, who.headers);
  const start = (job: Job, serial: string, headers: Record<string, string> = desk.headers) =>
    post(`/api/agent/jobs/${job.id}/start`, { nonce: job.nonce, card: { serial } }, headers);
  const step = (jobId: string, body: unknown, headers: Record<string, string> = desk.headers) =>
    post(`/api/agent/jobs/${jobId}/steps`, body, headers);
  const jobsOfCard = async (serial: string) =>
    t.db
      .select({ id: cardJobs.id, state: cardJobs.state, step: cardJobs.step })
      .from(cardJobs)
      .innerJoin(cards, eq(cards.id, cardJobs.cardId))
      .where(eq(cards.serial, serial));
  const certificatesOf = async (serial: string) =>
    t.db
      .select({
        id: certificates.id,
        current: certificates.current,
        revokedAt: certificates.revokedAt,
      })
      .from(certificates)
      .innerJoin(cards, eq(cards.id, certificates.cardId))
      .where(eq(cards.serial, serial));

  async function created(res: Response): Promise<Job> {
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Job;
  }

  /** An issue job for a fresh stock card and a fresh starter, started by our desk. */
  async function startedIssue(name: string) {
    const serial = takeStock();
    const person = await newStarter(t, name);
    const job = await created(
      await ask(agent, { kind: 'issue', cardSerial: serial, personId: person.id }),
    );
    expect((await start(job, serial)).status).toBe(200);
    return { job, serial, person };
  }

  /** Drives a started issue job through the management key, as a card holding the factory key. */
  async function throughManagementKey(jobId: string) {
    const challenge = Buffer.from('0011223344556677', 'hex');
    const answer = (await (
      await step(jobId, { step: 'management_challenge', challenge: challenge.toString('hex') })
    ).json()) as { responses: string[] };
    const index = answer.responses.indexOf(tdes(factoryKey, challenge).toString('hex'));
    expect(index).toBeGreaterThanOrEqual(0);
    expect((await step(jobId, { step: 'management_authenticated', candidate: index })).status).toBe(
      200,
    );
    expect((await step(jobId, { step: 'management_key_apdu' })).status).toBe(200);
    expect((await step(jobId, { step: 'management_key_set' })).status).toBe(200);
  }

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    t = await createTestApp(driver, {
      env: { SMTP_URL: smtp.url, SMTP_TIMEOUT_SECONDS: '2', SESSION_IDLE_MINUTES: '600' },
    });
    await seedDemoMorning(t);
    desk = await enrolDesk(t, 'RA desk (attack)');
    rxx = await secondTrust(t);
    // The other trust's own desk, enrolled by its manager: a credential that is not ours.
    const registered = await post(
      '/api/workstations',
      { name: 'Crossfield desk 2 (attack)', odsCode: 'RXX01' },
      rxx.manager.headers,
    );
    expect(registered.status, await registered.clone().text()).toBe(201);
    const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
    const enrolled = await post(
      '/api/agent/enrol',
      { code: enrolment.code },
      { 'content-type': 'application/json', 'x-forwarded-for': '10.77.0.9' },
    );
    const body = (await enrolled.json()) as { credential: string; workstationId: string };
    rxxDesk = {
      workstationId: body.workstationId,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${body.credential}` },
    };
    agent = await t.login('agent');
    stock = await stockSerials(t);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('refuses hostile values, wrong types and huge bodies in a job request, never with a 500, and makes no job', async () => {
    const serial = takeStock();
    const person = await newStarter(t, 'Hostile');
    const valid = { kind: 'issue', cardSerial: serial, personId: person.id };
    const fields = ['kind', 'cardSerial', 'workstationId', 'personId', 'code', 'issuedLocked'];
    const seen: number[] = [];
    for (const field of fields) {
      for (const value of [...hostileStrings, ...wrongTypes]) {
        // No code is no code: an issue job does not need one.
        if (field === 'code' && value === '') continue;
        if (field === 'issuedLocked' && typeof value === 'boolean') continue;
        const res = await ask(agent, { ...valid, [field]: value });
        seen.push(res.status);
        expect(res.status, `${field}=${JSON.stringify(value).slice(0, 40)}`).toBeGreaterThanOrEqual(
          400,
        );
        expect(res.status, `${field}=${JSON.stringify(value).slice(0, 40)}`).toBeLessThan(500);
      }
    }
    for (const body of [
      'x'.repeat(2_000_000),
      `{"kind":"issue","cardSerial":"${'A'.repeat(1_000_000)}"}`,
      '{"kind":"issue"',
      'null',
      '[]',
      '{"__proto__":{"admin":true},"kind":"issue"}',
      { ...valid, extra: 1 },
    ]) {
      const res = await post('/api/card-jobs', body, agent.headers);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const asText = await t.app.request('/api/card-jobs', {
      method: 'POST',
      headers: { ...agent.headers, 'content-type': 'text/plain' },
      body: JSON.stringify({ ...valid, workstationId: desk.workstationId }),
    });
    expect(asText.status).toBeGreaterThanOrEqual(400);
    expect(asText.status).toBeLessThan(500);
    expect(await jobsOfCard(serial)).toEqual([]);
    // The request itself was good: only the hostile values were refused.
    await created(await ask(agent, valid));
  });

  it('refuses hostile agent steps by what is wrong, and the job carries on', async () => {
    const { job, serial } = await startedIssue('Steps');
    const refusedSteps: unknown[] = [
      {},
      { step: 'format_card' },
      { step: 'MANAGEMENT_CHALLENGE', challenge: '00'.repeat(8) },
      { step: 'management_challenge' },
      { step: 'management_challenge', challenge: 'zz'.repeat(8) },
      { step: 'management_challenge', challenge: '0'.repeat(15) },
      { step: 'management_challenge', challenge: '00'.repeat(7) },
      { step: 'management_challenge', challenge: '00'.repeat(9) },
      { step: 'management_challenge', challenge: '00'.repeat(16) }, // AES's length on a 3DES card
      { step: 'management_challenge', challenge: '00'.repeat(8), extra: true },
      ...hostileStrings.map((challenge) => ({ step: 'management_challenge', challenge })),
      ...wrongTypes.map((challenge) => ({ step: 'management_challenge', challenge })),
    ];
    const huge = await step(job.id, {
      step: 'management_challenge',
      challenge: '00'.repeat(100_000),
    });
    expect(huge.status).toBe(413);
    for (const body of refusedSteps) {
      const res = await step(job.id, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    const challenge = Buffer.from('8899aabbccddeeff', 'hex');
    const answer = (await (
      await step(job.id, { step: 'management_challenge', challenge: challenge.toString('hex') })
    ).json()) as { responses: string[] };
    expect(answer.responses).toEqual([tdes(factoryKey, challenge).toString('hex')]);

    for (const candidate of [
      -1,
      1,
      4,
      1.5,
      2 ** 31,
      2 ** 53 + 2,
      1e308,
      -0.5,
      '0',
      null,
      [0],
      {},
    ]) {
      const res = await step(job.id, { step: 'management_authenticated', candidate });
      expect(res.status, `candidate ${JSON.stringify(candidate)}`).toBe(400);
    }
    expect((await step(job.id, { step: 'management_authenticated', candidate: 0 })).status).toBe(
      200,
    );
    expect((await step(job.id, { step: 'management_key_apdu' })).status).toBe(200);
    expect((await step(job.id, { step: 'management_key_set' })).status).toBe(200);

    const good = rsa(2048);
    const notKeys: [string, unknown][] = [
      ['base64 of nothing', 'AAAA'],
      ['not base64', '!!!!'],
      ['base64 with NUL', 'AA\u0000A'],
      ['random bytes', Buffer.from('garbage that is no key at all').toString('base64')],
      ['512-bit RSA', rsa(512)],
      ['1024-bit RSA', rsa(1024)],
      ['EC on secp256k1', ec('secp256k1')],
      ['EC on P-521', ec('P-521')],
      ['Ed25519', der(generateKeyPairSync('ed25519'))],
      ['longer than a key', 'A'.repeat(8000)],
      ['a number', 42],
      ['null', null],
    ];
    for (const [what, key] of notKeys) {
      for (const publicKeys of [
        { '9a': key, '9c': good },
        { '9a': good, '9c': key },
      ]) {
        const res = await step(job.id, { step: 'keys_generated', publicKeys });
        expect(res.status, what).toBe(400);
      }
    }
    for (const publicKeys of [{ '9a': good }, { '9a': good, '9c': good, '9d': good }, [], 'keys']) {
      expect((await step(job.id, { step: 'keys_generated', publicKeys })).status).toBe(400);
    }
    // Nothing was signed for a refused key, not even the slot whose key was good.
    expect(await certificatesOf(serial)).toEqual([]);
    expect((await jobsOfCard(serial))[0]).toMatchObject({
      state: 'running',
      step: 'management_key_set',
    });
    for (const failed of [
      { step: 'failed' },
      { step: 'failed', error: '' },
      { step: 'failed', error: 'x'.repeat(501) },
      { step: 'failed', error: 'card pulled\u0000' },
      { step: 'failed', error: 'card pulled', during: 'x'.repeat(41) },
      { step: 'failed', error: 'card pulled', during: '\ud800' },
      { step: 'failed', error: 42 },
    ]) {
      expect((await step(job.id, failed)).status, JSON.stringify(failed).slice(0, 60)).toBe(400);
    }
    const keys = await step(job.id, {
      step: 'keys_generated',
      publicKeys: { '9a': good, '9c': rsa(2048) },
    });
    expect(keys.status).toBe(200);
    expect((await certificatesOf(serial)).length).toBe(2);
  });

  it('refuses the same key for both slots, and a renewal that reports the keys already certified', async () => {
    const { job, serial } = await startedIssue('Reuse');
    await throughManagementKey(job.id);
    const same = rsa(2048);
    const twice = await step(job.id, {
      step: 'keys_generated',
      publicKeys: { '9a': same, '9c': same },
    });
    expect(twice.status).toBe(400);
    expect(JSON.stringify(await twice.json())).toMatch(/same key/);
    expect(await certificatesOf(serial)).toEqual([]);
    const first = { '9a': rsa(2048), '9c': rsa(2048) };
    expect((await step(job.id, { step: 'keys_generated', publicKeys: first })).status).toBe(200);
    for (const s of ['puk_requested', 'certificates_written']) {
      expect((await step(job.id, { step: s })).status).toBe(200);
    }
    expect((await step(job.id, { step: 'pin_set', candidate: 0 })).status).toBe(200);
    expect((await step(job.id, { step: 'puk_changed' })).status).toBe(200);
    expect((await step(job.id, { step: 'completed' })).status).toBe(200);
    // A renewal whose "new" keys are the old ones: no key was made on the card.
    const renew = await created(await ask(agent, { kind: 'renew', cardSerial: serial }));
    expect((await start(renew, serial)).status).toBe(200);
    expect(
      (await step(renew.id, { step: 'management_challenge', challenge: '00'.repeat(8) })).status,
    ).toBe(200);
    expect((await step(renew.id, { step: 'management_authenticated', candidate: 0 })).status).toBe(
      200,
    );
    for (const publicKeys of [first, { '9a': first['9c'], '9c': rsa(2048) }]) {
      const reused = await step(renew.id, { step: 'keys_generated', publicKeys });
      expect(reused.status).toBe(400);
      expect(JSON.stringify(await reused.json())).toMatch(/already/);
    }
    expect((await certificatesOf(serial)).length).toBe(2);
    expect(
      (
        await step(renew.id, {
          step: 'keys_generated',
          publicKeys: { '9a': rsa(2048), '9c': rsa(2048) },
        })
      ).status,
    ).toBe(200);
  });

  it('refuses replays, skipped and reordered steps, and anything after the end', async () => {
    const serial = takeStock();
    const person = await newStarter(t, 'Order');
    const job = await created(
      await ask(agent, { kind: 'issue', cardSerial: serial, personId: person.id }),
    );
    // Steps and a failure before the start change nothing.
    expect(
      (await step(job.id, { step: 'management_challenge', challenge: '00'.repeat(8) })).status,
    ).toBe(409);
    expect((await step(job.id, { step: 'failed', error: 'not started' })).status).toBe(409);
    expect((await jobsOfCard(serial))[0]?.state).toBe('pending');
    // The nonce of another job, or this one's in another case, does not start it.
    const upper = await post(
      `/api/agent/jobs/${job.id}/start`,
      {
        nonce: job.nonce.toUpperCase() === job.nonce ? `${job.nonce}x` : job.nonce.toUpperCase(),
        card: { serial },
      },
      desk.headers,
    );
    expect(upper.status).toBe(409);
    expect((await start(job, serial)).status).toBe(200);
    // Replayed: the nonce starts a job once.
    expect((await start(job, serial)).status).toBe(409);

    const order = async (body: Record<string, unknown>) => (await step(job.id, body)).status;
    const keys = { '9a': rsa(2048), '9c': rsa(2048) };
    expect(await order({ step: 'keys_generated', publicKeys: keys })).toBe(409);
    expect(await order({ step: 'puk_requested' })).toBe(409);
    expect(await order({ step: 'completed' })).toBe(409);
    expect(await order({ step: 'pin_verified' })).toBe(409); // not a self-service renewal
    expect(await order({ step: 'management_authenticated', candidate: 0 })).toBe(409);
    // A challenge asked twice is answered twice (the card may have been reset between).
    expect(await order({ step: 'management_challenge', challenge: '00'.repeat(8) })).toBe(200);
    const { responses } = (await (
      await step(job.id, { step: 'management_challenge', challenge: '00'.repeat(8) })
    ).json()) as { responses: string[] };
    expect(responses).toEqual([tdes(factoryKey, Buffer.alloc(8)).toString('hex')]);
    expect(await order({ step: 'management_authenticated', candidate: 0 })).toBe(200);
    // Skipping the management key: the card still holds the transport key.
    const skipped = await step(job.id, { step: 'keys_generated', publicKeys: keys });
    expect(skipped.status).toBe(409);
    expect(JSON.stringify(await skipped.json())).toMatch(/own management key/);
    expect(await order({ step: 'management_key_apdu' })).toBe(200);
    // Claiming keys before the card confirmed its new key: still refused.
    expect(await order({ step: 'keys_generated', publicKeys: keys })).toBe(409);
    expect(await order({ step: 'management_key_set' })).toBe(200);
    expect(await order({ step: 'management_key_set' })).toBe(409);
    expect(await order({ step: 'completed' })).toBe(409); // before certificates_written
    expect(await order({ step: 'keys_generated', publicKeys: keys })).toBe(200);
    // keys_generated twice: no second pair of certificates.
    expect(
      await order({ step: 'keys_generated', publicKeys: { '9a': rsa(2048), '9c': rsa(2048) } }),
    ).toBe(409);
    expect((await certificatesOf(serial)).length).toBe(2);
    expect(await order({ step: 'completed' })).toBe(409);
    expect(await order({ step: 'pin_set', candidate: 0 })).toBe(409); // before puk_requested
    expect(await order({ step: 'certificates_written' })).toBe(409); // an issue asks the PUKs first
    expect(await order({ step: 'puk_requested' })).toBe(200);
    expect(await order({ step: 'puk_requested' })).toBe(409);
    expect(await order({ step: 'pin_set', candidate: 0 })).toBe(409); // before certificates_written
    expect(await order({ step: 'completed' })).toBe(409);
    expect(await order({ step: 'certificates_written' })).toBe(200);
    expect(await order({ step: 'completed' })).toBe(409); // the PIN and PUK are not set
    expect(await order({ step: 'pin_set', candidate: 1 })).toBe(400); // one PUK was given
    expect(await order({ step: 'pin_set', candidate: 0 })).toBe(200);
    expect(await order({ step: 'puk_changed' })).toBe(200);
    expect(await order({ step: 'completed' })).toBe(200);
    // After the end: nothing, a failure included, and no restart with the nonce.
    for (const body of [
      { step: 'completed' },
      { step: 'failed', error: 'too late' },
      { step: 'puk_requested' },
      { step: 'management_challenge', challenge: '00'.repeat(8) },
    ]) {
      expect(await order(body)).toBe(409);
    }
    expect((await start(job, serial)).status).toBe(409);
    const [card] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(card?.state).toBe('active');
    const certs = await certificatesOf(serial);
    expect(certs.filter((c) => c.current && !c.revokedAt).length).toBe(2);

    // A renewal asks for no PUK, and a failure after the end does not revoke what completed.
    const renew = await created(await ask(agent, { kind: 'renew', cardSerial: serial }));
    expect((await start(renew, serial)).status).toBe(200);
    const renewStep = async (body: Record<string, unknown>) => (await step(renew.id, body)).status;
    expect(await renewStep({ step: 'puk_requested' })).toBe(409);
    expect(await renewStep({ step: 'management_challenge', challenge: '00'.repeat(8) })).toBe(200);
    expect(await renewStep({ step: 'management_authenticated', candidate: 0 })).toBe(200);
    expect(
      await renewStep({ step: 'keys_generated', publicKeys: { '9a': rsa(2048), '9c': rsa(2048) } }),
    ).toBe(200);
    expect(await renewStep({ step: 'puk_requested' })).toBe(409);
    expect(await renewStep({ step: 'pin_set', candidate: 0 })).toBe(409);
    expect(await renewStep({ step: 'certificates_written' })).toBe(200);
    expect(await renewStep({ step: 'puk_requested' })).toBe(409);
    expect(await renewStep({ step: 'failed', error: 'pulled out' })).toBe(200);
    const after = await certificatesOf(serial);
    // The issue's two stay in force; the renewal's two are revoked.
    expect(after.filter((c) => c.current && !c.revokedAt).length).toBe(2);
    expect(after.filter((c) => c.revokedAt).length).toBe(2);
  });

  it("never lets another trust's ids, credential or people near our jobs", async () => {
    const serial = takeStock();
    const person = await newStarter(t, 'Cross');
    const theirCard = rxx.records.flaggedSerials[0] ?? '';
    // Our agent naming their person, card or workstation.
    const theirPerson = await ask(agent, {
      kind: 'issue',
      cardSerial: serial,
      personId: rxx.records.person,
    });
    expect(theirPerson.status).toBe(400);
    for (const kind of ['renew', 'unlock', 'issue']) {
      const theirs = await ask(agent, { kind, cardSerial: theirCard, personId: person.id });
      expect(theirs.status, kind).toBe(404);
    }
    const theirDesk = await ask(agent, {
      kind: 'issue',
      cardSerial: serial,
      personId: person.id,
      workstationId: rxxDesk.workstationId,
    });
    expect(theirDesk.status).toBe(400);
    expect(JSON.stringify(await theirDesk.json())).toMatch(/workstationId/);
    expect(await jobsOfCard(serial)).toEqual([]);
    // Their manager naming our card, person, or desk.
    const rxxManager = rxx.manager;
    const ours = await post(
      '/api/card-jobs',
      {
        kind: 'issue',
        cardSerial: serial,
        personId: person.id,
        workstationId: rxxDesk.workstationId,
      },
      rxxManager.headers,
    );
    expect(ours.status).toBe(404);
    const ourDesk = await post(
      '/api/card-jobs',
      { kind: 'renew', cardSerial: theirCard, workstationId: desk.workstationId },
      rxxManager.headers,
    );
    expect(ourDesk.status).not.toBe(201);

    // Our job: their desk's credential neither starts nor steps it; their people cannot see it.
    const job = await created(
      await ask(agent, { kind: 'issue', cardSerial: serial, personId: person.id }),
    );
    expect((await start(job, serial, rxxDesk.headers)).status).toBe(404);
    expect(
      (await step(job.id, { step: 'failed', error: 'their desk' }, rxxDesk.headers)).status,
    ).toBe(404);
    expect((await jobsOfCard(serial))[0]?.state).toBe('pending');
    expect((await start(job, serial)).status).toBe(200);
    for (const body of [
      { step: 'management_challenge', challenge: '00'.repeat(8) },
      { step: 'failed', error: 'their desk' },
    ]) {
      expect((await step(job.id, body, rxxDesk.headers)).status).toBe(404);
    }
    const ourView = await t.app.request(`/api/card-jobs/${job.id}`, { headers: agent.headers });
    expect(ourView.status).toBe(200);
    const viewed = await ourView.text();
    for (const { role, who } of rxx.callers) {
      const res = await t.app.request(`/api/card-jobs/${job.id}`, { headers: who.headers });
      expect(res.status, role).toBe(404);
      const text = await res.text();
      expect(text).not.toContain(serial);
      expect(text).not.toContain(person.name);
      expect(viewed).toContain(serial);
    }
    // A session's cookie is not an agent credential, nor the other way round.
    expect([401, 403]).toContain((await start(job, serial, agent.headers)).status);
    expect([401, 403]).toContain(
      (await t.app.request(`/api/card-jobs/${job.id}`, { headers: desk.headers })).status,
    );
    // Ids that are not ids, and ids of nothing.
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000', '%00', `${job.id}x`]) {
      expect((await t.app.request(`/api/card-jobs/${id}`, { headers: agent.headers })).status).toBe(
        id.startsWith('0000') ? 404 : 400,
      );
      expect((await step(id, { step: 'completed' })).status).toBeGreaterThanOrEqual(400);
      expect((await step(id, { step: 'completed' })).status).toBeLessThan(500);
    }
  });

  it('keeps separation of duties: no operator on their own card, nobody outside their organisation', async () => {
    const serial = takeStock();
    // The RA agent issuing to themselves.
    const [self] = await t.db
      .select({ id: people.id })
      .from(people)
      .innerJoin(accounts, eq(accounts.id, people.accountId))
      .where(eq(accounts.username, 'agent'));
    if (self) {
      const own = await ask(agent, { kind: 'issue', cardSerial: serial, personId: self.id });
      expect(own.status).toBe(403);
    }
    // The RA agent's own card: blocked, no desk unlock (self-service wants a code); renewing it
    // early is refused though an RA agent may renew anyone else's at any time.
    if (!self) throw new Error('the demo agent has no person');
    await t.db
      .update(cards)
      .set({ state: 'cancelled' })
      .where(
        and(
          eq(cards.personId, self.id),
          inArray(cards.state, ['blocked', 'active', 'issued_locked', 'suspended']),
        ),
      );
    const ownCard = await createCard(t, { state: 'blocked', personId: self.id });
    const deskUnlock = await ask(agent, { kind: 'unlock', cardSerial: ownCard.serial });
    expect(deskUnlock.status).toBe(400);
    expect(JSON.stringify(await deskUnlock.json())).toMatch(/code/);
    const guessed = await ask(agent, {
      kind: 'unlock',
      cardSerial: ownCard.serial,
      code: '12345678',
    });
    expect(guessed.status).toBe(400);
    await t.db.update(cards).set({ state: 'cancelled' }).where(eq(cards.id, ownCard.id));
    const ownActive = await createCard(t, {
      state: 'active',
      personId: self.id,
      certificates: true,
    });
    const early = await ask(agent, { kind: 'renew', cardSerial: ownActive.serial });
    expect(early.status).toBe(409);
    expect(JSON.stringify(await early.json())).toMatch(/can be renewed from/);
    expect(await jobsOfCard(ownCard.serial)).toEqual([]);
    expect(await jobsOfCard(ownActive.serial)).toEqual([]);
    await t.db.update(cards).set({ state: 'cancelled' }).where(eq(cards.id, ownActive.id));

    // Staff asking for someone else's card, and the sponsor and LSA outside their organisation.
    const staff = await t.login('staff');
    const someone = await newStarter(t, 'Blocked');
    const theirs = await createCard(t, { state: 'blocked', personId: someone.id });
    for (const body of [
      { kind: 'unlock', cardSerial: theirs.serial },
      { kind: 'unlock', cardSerial: theirs.serial, code: '12345678' },
      { kind: 'renew', cardSerial: theirs.serial },
      { kind: 'issue', cardSerial: takeStock(), personId: someone.id },
    ]) {
      expect((await ask(staff, body)).status, JSON.stringify(body)).toBe(404);
    }
    const lsa = await t.login('lsa'); // at RWG02: the card's holder works at RWG01
    expect((await ask(lsa, { kind: 'unlock', cardSerial: theirs.serial })).status).toBe(404);
    const rxxSponsor = rxx.callers.find((c) => c.role === 'sponsor')?.who;
    const rxxLsa = rxx.callers.find((c) => c.role === 'lsa')?.who;
    for (const who of [rxxSponsor, rxxLsa]) {
      if (!who) throw new Error('no caller');
      expect((await ask(who, { kind: 'unlock', cardSerial: theirs.serial })).status).toBe(404);
    }
    const sponsor = await t.login('sponsor'); // at RWG01: may unlock at the desk
    expect(
      (await ask(sponsor, { kind: 'unlock', cardSerial: theirs.serial, code: '12345678' })).status,
    ).toBe(400);
    await created(await ask(sponsor, { kind: 'unlock', cardSerial: theirs.serial }));
  });

  it("a holder's code unlocks their own card only, once", async () => {
    t.clock.advance(2 * hour);
    const staff = await t.login('staff');
    const [sky] = await t.db
      .select({ id: people.id })
      .from(people)
      .innerJoin(accounts, eq(accounts.id, people.accountId))
      .where(eq(accounts.username, 'staff'));
    if (!sky) throw new Error('no staff person');
    const inUse = await t.db
      .select({ serial: cards.serial, state: cards.state })
      .from(cards)
      .where(
        and(
          eq(cards.personId, sky.id),
          inArray(cards.state, ['blocked', 'active', 'issued_locked']),
        ),
      );
    const serial =
      inUse[0]?.serial ?? (await createCard(t, { state: 'blocked', personId: sky.id })).serial;
    const before = smtp.received.length;
    const sent = await post('/api/me/unlock-codes', {}, staff.headers);
    expect(sent.status, await sent.clone().text()).toBe(202);
    const code = codeIn(smtp.received[before]?.raw ?? '');
    // Someone else's card with the holder's good code: not theirs to see.
    const someone = await newStarter(t, 'Other');
    const theirs = await createCard(t, { state: 'blocked', personId: someone.id });
    expect((await ask(staff, { kind: 'unlock', cardSerial: theirs.serial, code })).status).toBe(
      404,
    );
    // The desk's agent cannot use the holder's code on the holder's card.
    expect((await ask(agent, { kind: 'unlock', cardSerial: serial, code })).status).toBe(400);
    // A code in a renewal or an issue is refused.
    expect(
      (await ask(staff, { kind: 'renew', cardSerial: serial, code })).status,
    ).toBeGreaterThanOrEqual(400);
    const job = await created(
      await ask(staff, {
        kind: 'unlock',
        cardSerial: serial,
        code: ` ${code.slice(0, 4)} ${code.slice(4)} `,
      }),
    );
    expect(job.id).toBeTruthy();
    // Used: a second job with it is refused even after the first has ended.
    expect((await start(job, serial)).status).toBe(200);
    expect((await step(job.id, { step: 'failed', error: 'holder walked away' })).status).toBe(200);
    const again = await ask(staff, { kind: 'unlock', cardSerial: serial, code });
    expect(again.status).toBe(400);
    expect(JSON.stringify(await again.json())).toMatch(/used already/);
    const codes = await t.db.select().from(unlockCodes).where(eq(unlockCodes.personId, sky.id));
    expect(codes.every((c) => !c.codeHash.includes(code))).toBe(true);
  });

  // PGlite takes one call at a time, PostgreSQL twenty: the answers must be the same.
  describe('twenty calls at once', () => {
    it('20 job requests for one card make exactly one job', async () => {
      const serial = takeStock();
      const person = await newStarter(t, 'Race');
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          ask(agent, { kind: 'issue', cardSerial: serial, personId: person.id }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(await jobsOfCard(serial)).toHaveLength(1);
    });

    it('20 starts of one job give exactly one 200', async () => {
      const serial = takeStock();
      const person = await newStarter(t, 'Starts');
      const job = await created(
        await ask(agent, { kind: 'issue', cardSerial: serial, personId: person.id }),
      );
      const statuses = (
        await Promise.all(Array.from({ length: 20 }, () => start(job, serial)))
      ).map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 200 && s !== 409)).toEqual([]);
    });

    it('20 identical keys_generated at once sign one pair of certificates', async () => {
      const { job, serial } = await startedIssue('Keys');
      await throughManagementKey(job.id);
      const keys = { '9a': rsa(2048), '9c': rsa(2048) };
      const statuses = (
        await Promise.all(
          Array.from({ length: 20 }, () =>
            step(job.id, { step: 'keys_generated', publicKeys: keys }),
          ),
        )
      ).map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(await certificatesOf(serial)).toHaveLength(2);
      // And 20 identical puk_requested: one pending PUK, one answer.
      const puks = await Promise.all(
        Array.from({ length: 20 }, () => step(job.id, { step: 'puk_requested' })),
      );
      expect(puks.filter((r) => r.status === 200)).toHaveLength(1);
    });

    it('20 code requests at once send at most 5', async () => {
      t.clock.advance(2 * hour);
      const staff = await t.login('staff');
      const before = smtp.received.length;
      const statuses = (
        await Promise.all(
          Array.from({ length: 20 }, () => post('/api/me/unlock-codes', {}, staff.headers)),
        )
      ).map((r) => r.status);
      expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((s) => s !== 202 && s !== 429)).toEqual([]);
      expect(smtp.received.length - before).toBe(statuses.filter((s) => s === 202).length);
    });

    it('20 uses of one code at once unlock once; 20 wrong codes at once are counted, at most 5 tried', async () => {
      t.clock.advance(2 * hour);
      const staff = await t.login('staff');
      const [sky] = await t.db
        .select({ id: people.id })
        .from(people)
        .innerJoin(accounts, eq(accounts.id, people.accountId))
        .where(eq(accounts.username, 'staff'));
      const [card] = await t.db
        .select({ serial: cards.serial })
        .from(cards)
        .where(
          and(
            eq(cards.personId, sky?.id ?? ''),
            inArray(cards.state, ['blocked', 'active', 'issued_locked']),
          ),
        );
      const serial = card?.serial ?? '';
      const before = smtp.received.length;
      expect((await post('/api/me/unlock-codes', {}, staff.headers)).status).toBe(202);
      const code = codeIn(smtp.received[before]?.raw ?? '');
      const uses = await Promise.all(
        Array.from({ length: 20 }, () => ask(staff, { kind: 'unlock', cardSerial: serial, code })),
      );
      const statuses = uses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      // The job it made ends; then twenty wrong guesses at once against a fresh code.
      const [live] = (await jobsOfCard(serial)).filter((j) => j.state === 'pending');
      await t.db
        .update(cardJobs)
        .set({ state: 'failed' })
        .where(eq(cardJobs.id, live?.id ?? ''));
      const mark = smtp.received.length;
      expect((await post('/api/me/unlock-codes', {}, staff.headers)).status).toBe(202);
      const fresh = codeIn(smtp.received[mark]?.raw ?? '');
      const wrong = fresh === '00000000' ? '00000001' : '00000000';
      const guesses = await Promise.all(
        Array.from({ length: 20 }, () =>
          ask(staff, { kind: 'unlock', cardSerial: serial, code: wrong }),
        ),
      );
      const messages = await Promise.all(guesses.map(async (g) => JSON.stringify(await g.json())));
      expect(guesses.every((g) => g.status === 400)).toBe(true);
      const tried = messages.filter((m) => /not the code we sent/.test(m)).length;
      expect(tried).toBeLessThanOrEqual(5);
      // The fresh code is dead: five wrong codes kill it.
      const late = await ask(staff, { kind: 'unlock', cardSerial: serial, code: fresh });
      expect(late.status).toBe(400);
    });
  });
});
