import { createCipheriv, generateKeyPairSync } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../db/schema/accounts.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { enrolDesk, newStarter, stockSerials } from '../support/card-jobs.ts';
import { testDrivers } from '../support/databases.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

/**
 * Card jobs through the API (docs/card-jobs.md): the rules that decide whether a job may be
 * made, and the agent's side of the protocol driven step by step as an agent would, with the
 * server's answers checked by their cryptography (the challenge answered under the card's
 * key, the new management key derived, certificates for the keys sent). The card itself is
 * test/reader's business: there the real agent does these steps on a simulated card.
 */
const factoryKey = Buffer.from('010203040506070801020304050607080102030405060708', 'hex');
const tdes = (key: Buffer, block: Buffer) => {
  const c = createCipheriv('des-ede3', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};
const spki = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');

describe.each(testDrivers)('card jobs (%s)', (driver) => {
  let t: TestApp;
  let desk: Awaited<ReturnType<typeof enrolDesk>>;
  let otherDesk: Awaited<ReturnType<typeof enrolDesk>>;
  let agent: SignedIn;
  let stock: string[];
  let person: { id: string; name: string };

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    t.app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
  const ask = async (who: SignedIn, body: Record<string, unknown>) =>
    post('/api/card-jobs', { workstationId: desk.workstationId, ...body }, who.headers);
  const step = (jobId: string, body: Record<string, unknown>, headers = desk.headers) =>
    post(`/api/agent/jobs/${jobId}/steps`, body, headers);

  beforeAll(async () => {
    t = await createTestApp(driver);
    await seedDemoMorning(t);
    desk = await enrolDesk(t, 'RA desk (jobs)');
    otherDesk = await enrolDesk(t, 'Ward desk (jobs)', 'RWG02');
    agent = await t.login('agent');
    stock = await stockSerials(t);
    person = await newStarter(t, 'Grace');
  }, 120_000);
  afterAll(() => t.close());

  it('refuses what the rules forbid, saying why, and makes no job', async () => {
    const serial = stock[0] ?? '';
    const [amara] = await t.db.select().from(people).where(eq(people.givenName, 'Amara'));
    const unverified = await ask(agent, { kind: 'issue', cardSerial: serial, personId: amara?.id });
    expect(unverified.status).toBe(400);
    expect(JSON.stringify(await unverified.json())).toMatch(/identity has not been checked/);

    const [self] = await t.db
      .select({ id: people.id })
      .from(people)
      .innerJoin(accounts, eq(accounts.id, people.accountId))
      .where(eq(accounts.username, 'agent'));
    const own = await ask(agent, { kind: 'issue', cardSerial: serial, personId: self?.id });
    expect(own.status).toBe(403);
    expect(JSON.stringify(await own.json())).toMatch(/yourself/);

    const staff = await t.login('staff');
    const byStaff = await ask(staff, { kind: 'issue', cardSerial: serial, personId: person.id });
    expect(byStaff.status).toBe(404); // a stock card is not theirs to see

    const wrongDesk = await post(
      '/api/card-jobs',
      {
        kind: 'issue',
        cardSerial: serial,
        personId: person.id,
        workstationId: '00000000-0000-4000-8000-000000000000',
      },
      agent.headers,
    );
    expect(wrongDesk.status).toBe(400);
    expect(JSON.stringify(await wrongDesk.json())).toMatch(/workstationId/);

    const noPin = await ask(agent, { kind: 'unlock', cardSerial: serial });
    expect(noPin.status).toBe(409); // a stock card is issued to nobody

    const [tomaszCard] = await t.db
      .select({ serial: cards.serial })
      .from(cards)
      .innerJoin(people, eq(people.id, cards.personId))
      .where(eq(people.givenName, 'Tomasz'));
    // Tomasz works at RWG02, where the LSA may renew cards inside the window: not once expired.
    const lsa = await t.login('lsa');
    const expired = await post(
      '/api/card-jobs',
      { kind: 'renew', cardSerial: tomaszCard?.serial, workstationId: otherDesk.workstationId },
      lsa.headers,
    );
    expect(expired.status).toBe(403);
    expect(JSON.stringify(await expired.json())).toMatch(/only an RA agent renews it/);
  });

  it('issues: the challenge answered under the transport key, the card given its own key, certificates for its keys, a fresh PUK; the job runs once', async () => {
    const serial = stock[1] ?? '';
    const made = await ask(agent, { kind: 'issue', cardSerial: serial, personId: person.id });
    expect(made.status).toBe(201);
    const job = (await made.json()) as { id: string; nonce: string };

    expect(
      (
        await post(
          `/api/agent/jobs/${job.id}/start`,
          { nonce: job.nonce, card: { serial } },
          otherDesk.headers,
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await post(
          `/api/agent/jobs/${job.id}/start`,
          { nonce: 'not-it', card: { serial } },
          desk.headers,
        )
      ).status,
    ).toBe(409);
    const wrongCard = await post(
      `/api/agent/jobs/${job.id}/start`,
      { nonce: job.nonce, card: { serial: stock[2] } },
      desk.headers,
    );
    expect(wrongCard.status).toBe(409);
    expect(JSON.stringify(await wrongCard.json())).toMatch(/This job is for card/);
    const started = await post(
      `/api/agent/jobs/${job.id}/start`,
      { nonce: job.nonce, card: { serial } },
      desk.headers,
    );
    expect(started.status).toBe(200);
    expect(
      (
        await post(
          `/api/agent/jobs/${job.id}/start`,
          { nonce: job.nonce, card: { serial } },
          desk.headers,
        )
      ).status,
    ).toBe(409);

    // Out of order: keys before the management key.
    expect(
      (await step(job.id, { step: 'keys_generated', publicKeys: { '9a': spki(), '9c': spki() } }))
        .status,
    ).toBe(409);

    const challenge = Buffer.from('0011223344556677', 'hex');
    const answer = (await (
      await step(job.id, { step: 'management_challenge', challenge: challenge.toString('hex') })
    ).json()) as { responses: string[] };
    expect(answer.responses).toContain(tdes(factoryKey, challenge).toString('hex'));
    const index = answer.responses.indexOf(tdes(factoryKey, challenge).toString('hex'));
    expect(
      (await step(job.id, { step: 'management_authenticated', candidate: index })).status,
    ).toBe(200);
    const apdu = (await (await step(job.id, { step: 'management_key_apdu' })).json()) as {
      apdu: string;
    };
    expect(apdu.apdu).toMatch(/^00ffffff1b039b18[0-9a-f]{48}$/);
    expect(apdu.apdu).not.toContain(factoryKey.toString('hex'));
    expect((await step(job.id, { step: 'management_key_set' })).status).toBe(200);
    const [card] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(card?.managementKey).toBe('derived');
    expect(card?.encryptedTransportKey).toBeNull();

    const keys = await step(job.id, {
      step: 'keys_generated',
      publicKeys: { '9a': spki(), '9c': spki() },
    });
    expect(keys.status).toBe(200);
    const { certificates: issued } = (await keys.json()) as {
      certificates: Record<string, string>;
    };
    expect(Object.keys(issued).sort()).toEqual(['9a', '9c']);
    // An issue asks for the PUKs before writing the certificates (the agent folds the two).
    const puk = (await (await step(job.id, { step: 'puk_requested' })).json()) as {
      puks: string[];
      newPuk: string;
    };
    expect(puk.puks).toEqual(['12345678']);
    expect(puk.newPuk).toMatch(/^\d{8}$/);
    expect((await step(job.id, { step: 'certificates_written' })).status).toBe(200);
    expect((await step(job.id, { step: 'pin_set', candidate: 0 })).status).toBe(200);
    expect((await step(job.id, { step: 'puk_changed', candidate: 0 })).status).toBe(200);
    expect((await step(job.id, { step: 'completed' })).status).toBe(200);

    const view = (await (
      await t.app.request(`/api/card-jobs/${job.id}`, { headers: agent.headers })
    ).json()) as {
      state: string;
      steps: { step: string }[];
      card: { state: string };
    };
    expect(view.state).toBe('succeeded');
    expect(view.card.state).toBe('active');
    expect(view.steps.map((s) => s.step)).toContain('keys_generated');
    const current = await t.db
      .select()
      .from(certificates)
      .where(eq(certificates.cardId, card?.id ?? ''));
    expect(current.filter((c) => c.current).length).toBe(2);
    // Nothing more for an ended job.
    expect((await step(job.id, { step: 'completed' })).status).toBe(409);
    // The audit trail holds no PUK: the new one is nowhere in it.
    const trail = await t.app.request('/api/audit?limit=50', {
      headers: (await t.login('manager')).headers,
    });
    expect(await trail.text()).not.toContain(puk.newPuk);
  });

  it('a job whose agent reports a failure revokes the certificates it issued as cessationOfOperation, and the card can be issued by the next job', async () => {
    const serial = stock[3] ?? '';
    const someone = await newStarter(t, 'Noah');
    const job = (await (
      await ask(agent, { kind: 'issue', cardSerial: serial, personId: someone?.id })
    ).json()) as { id: string; nonce: string };
    await post(
      `/api/agent/jobs/${job.id}/start`,
      { nonce: job.nonce, card: { serial } },
      desk.headers,
    );
    const challenge = Buffer.alloc(8, 7);
    await step(job.id, { step: 'management_challenge', challenge: challenge.toString('hex') });
    await step(job.id, { step: 'management_authenticated', candidate: 0 });
    await step(job.id, { step: 'management_key_apdu' });
    // The card was pulled before it confirmed the new key: the server keeps both as candidates.
    const keysBefore = await step(job.id, { step: 'management_key_set' });
    expect(keysBefore.status).toBe(200);
    const keys = await step(job.id, {
      step: 'keys_generated',
      publicKeys: { '9a': spki(), '9c': spki() },
    });
    expect(keys.status).toBe(200);
    const failed = await step(job.id, {
      step: 'failed',
      error: 'The card was taken out of the reader while its certificates were being written',
      during: 'certificates_written',
    });
    expect(failed.status).toBe(200);
    const [card] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(card?.state).toBe('in_stock');
    const issued = await t.db
      .select()
      .from(certificates)
      .where(eq(certificates.cardId, card?.id ?? ''));
    expect(issued.length).toBe(2);
    expect(issued.every((c) => c.revocationReason === 'cessationOfOperation' && !c.current)).toBe(
      true,
    );
    const next = await ask(agent, { kind: 'issue', cardSerial: serial, personId: someone?.id });
    expect(next.status).toBe(201);
  });

  it('answers a card’s challenges no more often than it has keys to try, then ends the job', async () => {
    const serial = stock[5] ?? '';
    const someone = await newStarter(t, 'Ezra');
    const job = (await (
      await ask(agent, { kind: 'issue', cardSerial: serial, personId: someone.id })
    ).json()) as { id: string; nonce: string };
    await post(
      `/api/agent/jobs/${job.id}/start`,
      { nonce: job.nonce, card: { serial } },
      desk.headers,
    );
    const challenge = { step: 'management_challenge', challenge: '0102030405060708' };
    // A stock card holds its transport key only: one try, and one more.
    expect((await step(job.id, challenge)).status).toBe(200);
    expect((await step(job.id, challenge)).status).toBe(200);
    const third = await step(job.id, challenge);
    expect(third.status).toBe(409);
    const view = (await (
      await t.app.request(`/api/card-jobs/${job.id}`, { headers: agent.headers })
    ).json()) as { state: string; failure: string };
    expect(view.state).toBe('failed');
    expect(view.failure).toMatch(/refused every management key/);
  });

  it('takes steps folded into one call: recorded together in order, or none of them when one is refused', async () => {
    const serial = stock[6] ?? '';
    const someone = await newStarter(t, 'Ines');
    const job = (await (
      await ask(agent, { kind: 'issue', cardSerial: serial, personId: someone.id })
    ).json()) as { id: string; nonce: string };
    await post(
      `/api/agent/jobs/${job.id}/start`,
      { nonce: job.nonce, card: { serial } },
      desk.headers,
    );
    const challenge = Buffer.from('1122334455667788', 'hex');
    const answer = (await (
      await step(job.id, { step: 'management_challenge', challenge: challenge.toString('hex') })
    ).json()) as { responses: string[] };
    const candidate = answer.responses.indexOf(tdes(factoryKey, challenge).toString('hex'));
    const stepsOfJob = async () =>
      (
        (await (
          await t.app.request(`/api/card-jobs/${job.id}`, { headers: agent.headers })
        ).json()) as { steps: { step: string }[] }
      ).steps.map((s) => s.step);
    const before = await stepsOfJob();

    // Refused as a whole: the second step cannot follow the first; nothing of it is kept.
    const wrongOrder = await step(job.id, {
      steps: [{ step: 'management_authenticated', candidate }, { step: 'certificates_written' }],
    });
    expect(wrongOrder.status).toBe(409);
    expect(JSON.stringify(await wrongOrder.json())).toMatch(
      /certificates_written cannot follow management_authenticated/,
    );
    expect(await stepsOfJob()).toEqual(before);
    const [untouched] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(untouched?.managementKey).toBe('transport');

    // `failed` only last, and no more than four steps a call: refused before anything is read.
    const failedFirst = await step(job.id, {
      steps: [{ step: 'failed', error: 'x' }, { step: 'management_key_apdu' }],
    });
    expect(failedFirst.status).toBe(400);
    expect(JSON.stringify(await failedFirst.json())).toMatch(/failed may only be the last step/);
    const tooMany = await step(job.id, { steps: Array(5).fill({ step: 'completed' }) });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(await tooMany.json())).toMatch(/at most 4 steps/);
    // A body that is neither is told what is wrong with the form it is nearest to.
    const unknown = await step(job.id, { step: 'management_nonsense' });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()) as unknown).toMatchObject({
      error: {
        details: [{ field: 'step', message: expect.stringMatching(/management_challenge/) }],
      },
    });

    // In order: both recorded, and the answer is the last step's (the command to send).
    const folded = await step(job.id, {
      steps: [{ step: 'management_authenticated', candidate }, { step: 'management_key_apdu' }],
    });
    expect(folded.status).toBe(200);
    expect(((await folded.json()) as { apdu: string }).apdu).toMatch(/^00ffffff1b039b18/);
    expect((await stepsOfJob()).slice(before.length)).toEqual([
      'management_authenticated',
      'management_key_apdu',
    ]);
    const [changing] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(changing?.managementKey).toBe('changing');

    // What the card did before it failed goes with the failure, and is recorded first.
    const failed = await step(job.id, {
      steps: [
        { step: 'management_key_set' },
        { step: 'failed', error: 'The card was taken out', during: 'keys_generated' },
      ],
    });
    expect(failed.status).toBe(200);
    expect((await stepsOfJob()).slice(-2)).toEqual(['management_key_set', 'failed']);
    const [after] = await t.db.select().from(cards).where(eq(cards.serial, serial));
    expect(after?.managementKey).toBe('derived');
  });

  it('a started job whose agent goes quiet is failed once its time is up', async () => {
    const serial = stock[4] ?? '';
    const someone = await newStarter(t, 'Ola');
    const job = (await (
      await ask(agent, { kind: 'issue', cardSerial: serial, personId: someone?.id })
    ).json()) as { id: string; nonce: string };
    await post(
      `/api/agent/jobs/${job.id}/start`,
      { nonce: job.nonce, card: { serial } },
      desk.headers,
    );
    t.clock.advance(61_000);
    const view = (await (
      await t.app.request(`/api/card-jobs/${job.id}`, { headers: agent.headers })
    ).json()) as { state: string; failure: string };
    expect(view.state).toBe('failed');
    expect(view.failure).toMatch(/stopped reporting/);
  });
});
