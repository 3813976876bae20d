import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blankProfile, type CardProfile } from '../../simulator/card-profile.ts';
import { PivCard } from '../../simulator/piv-card.ts';
import { cardSerialOf } from '../observation.ts';
import { readPivCard } from '../read-piv-card.ts';
import type { JobServer } from './job-protocol.ts';
import { jobServerClient } from './job-server-client.ts';
import { credential, JobServerStandIn } from './job-server-stand-in.ts';
import { padReference } from './piv-commands.ts';
import { runCardJob } from './run-card-job.ts';

/**
 * The job runner against the in-process simulated card and an in-process stand-in for the
 * RA server's step answers (job-server-stand-in.ts), over real HTTP with real crypto. The
 * stand-in exists because the server side is being built at the same time; the end-to-end
 * tests under test/reader run the agent against the real server, pcscd and the simulator.
 */

let standIn: JobServerStandIn;
beforeAll(async () => {
  standIn = new JobServerStandIn();
  await standIn.start();
});
afterAll(() => standIn.close());

const server = () => jobServerClient(() => ({ server: standIn.origin, credential }));

/** A simulated card and a transmit that keeps a copy of every APDU sent to it. */
function simulated(change: (p: CardProfile) => void = () => {}) {
  const profile = blankProfile();
  change(profile);
  const card = new PivCard(profile);
  const sent: Buffer[] = [];
  const transmit = async (apdu: Buffer) => {
    sent.push(Buffer.from(apdu));
    return card.transmit(apdu);
  };
  return { card, sent, transmit };
}

async function serialOf(card: PivCard) {
  const serial = cardSerialOf(await readPivCard(async (a) => card.transmit(a)));
  if (!serial) throw new Error('the simulated card has no serial');
  return serial;
}

const sw = (card: PivCard, apdu: Buffer) => card.transmit(apdu).readUInt16BE(0);
const verify = (card: PivCard, pin: string) =>
  sw(card, Buffer.concat([Buffer.from('0020008008', 'hex'), padReference(pin)]));
const resetWith = (card: PivCard, puk: string, pin: string) =>
  sw(card, Buffer.concat([Buffer.from('002c008010', 'hex'), padReference(puk), padReference(pin)]));

const input = (job: { id: string; nonce: string }, card: PivCard, pins: object = {}) => ({
  jobId: job.id,
  nonce: job.nonce,
  atr: card.atr.toString('hex'),
  ...pins,
});
const stepsOf = (jobId: string) => standIn.jobs.get(jobId)?.steps.map((s) => s.step);
const publicKeyOf = (pem: string) =>
  createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' });

/** Issues a blank card through the runner: the starting point of renew and unlock. */
async function issued(pin = '24681357') {
  const sim = simulated();
  const serial = await serialOf(sim.card);
  standIn.card(serial);
  const job = standIn.job('issue', serial);
  const result = await runCardJob({
    transmit: sim.transmit,
    server: server(),
    input: input(job, sim.card, { pin, pinConfirmation: pin }),
  });
  if (result.state !== 'succeeded') throw new Error(`issue failed: ${result.error}`);
  return { ...sim, serial, job, result };
}

describe('running a card job on the card', () => {
  it('issues a blank card: keys made on the card, both certificates written, PIN, PUK and management key set', async () => {
    const { card, transmit } = simulated();
    const serial = await serialOf(card);
    standIn.card(serial);
    const job = standIn.job('issue', serial);
    const reported: string[] = [];
    const result = await runCardJob({
      transmit,
      server: server(),
      input: input(job, card, { pin: '24681357', pinConfirmation: '24681357' }),
      onStep: (step) => reported.push(step),
    });
    expect(result).toMatchObject({ state: 'succeeded', kind: 'issue', error: null, during: null });
    expect(result.cardSerial).toBe(serial);
    const order = [
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
    ];
    expect(stepsOf(job.id)).toEqual(order);
    expect(reported).toEqual(order);
    expect(standIn.jobs.get(job.id)?.state).toBe('succeeded');
    // SELECT, GET DATA CHUID, 2 × GENERAL AUTHENTICATE, SET MANAGEMENT KEY, 2 × GENERATE,
    // 2 × PUT DATA (extended), RESET RETRY COUNTER, CHANGE REFERENCE DATA.
    expect(result.apdus).toBe(11);
    expect(result.ms).toBeGreaterThan(0);
    // A step whose answer the agent does not need goes with the next call, and the PUKs come
    // with the certificates: 6 calls, not 12.
    const calls = standIn.bodies.map((b) => {
      const body = JSON.parse(b) as { step?: string; steps?: { step: string }[]; nonce?: string };
      return body.nonce ? 'start' : (body.steps?.map((s) => s.step).join('+') ?? body.step);
    });
    expect(calls.slice(-6)).toEqual([
      'start',
      'management_challenge',
      'management_authenticated+management_key_apdu',
      'management_key_set+keys_generated+puk_requested',
      'certificates_written+pin_set',
      'puk_changed+completed',
    ]);
    expect(result.serverCalls).toBe(6);

    // The certificates on the card are the server's, each for the key made in its slot.
    expect(Object.keys(card.profile.keys).sort()).toEqual(['9a', '9c']);
    const reading = await readPivCard(transmit);
    const issuedCerts = standIn.jobs.get(job.id)?.certificates ?? {};
    for (const slot of ['9a', '9c'] as const) {
      const onCard = reading.certificates.find((c) => c.slot === slot);
      expect(onCard && 'certificate' in onCard ? onCard.certificate.der : onCard).toBe(
        issuedCerts[slot]?.toString('base64'),
      );
      const key = new X509Certificate(issuedCerts[slot] as Buffer).publicKey.export({
        type: 'spki',
        format: 'der',
      });
      expect(key.equals(publicKeyOf(card.profile.keys[slot]?.pem ?? ''))).toBe(true);
    }
    expect(reading.certificates.map((c) => c.slot)).toEqual(['9a', '9c']);
    // The holder's PIN works; the factory PUK no longer does; the new one is the server's.
    expect(verify(card, '24681357')).toBe(0x9000);
    const newPuk = standIn.cards.get(serial)?.puks[0] as string;
    expect(newPuk).toMatch(/^\d{8}$/);
    expect(card.profile.puk).toBe(newPuk);
    expect(resetWith(card, '12345678', '24681357')).toBe(0x63c2);
    expect(card.profile.managementKey.key).toBe(standIn.derivedKey(serial).toString('hex'));
    // The PIN went to the card and nowhere else.
    expect(standIn.bodies.join('\n')).not.toContain('24681357');
    expect(JSON.stringify(result)).not.toContain('24681357');
  });

  it('issues a card locked: a random 8-digit PIN nobody sees', async () => {
    const { card, transmit } = simulated();
    const serial = await serialOf(card);
    standIn.card(serial);
    const job = standIn.job('issue', serial, { issuedLocked: true });
    const result = await runCardJob({ transmit, server: server(), input: input(job, card) });
    expect(result.state).toBe('succeeded');
    expect(card.profile.pin).toMatch(/^\d{8}$/);
    expect(card.profile.pin).not.toBe('123456');
    expect(standIn.bodies.join('\n')).not.toContain(card.profile.pin);
    expect(JSON.stringify(result)).not.toContain(card.profile.pin);
  });

  it('unlocks a blocked card: the new PIN works, the old PUK is refused', async () => {
    const { card, transmit, serial } = await issued();
    const oldPuk = card.profile.puk;
    for (let i = 0; i < 3; i++) verify(card, '00000000');
    expect(verify(card, '24681357')).toBe(0x6983);
    const job = standIn.job('unlock', serial);
    const result = await runCardJob({
      transmit,
      server: server(),
      input: input(job, card, { pin: '975310', pinConfirmation: '975310' }),
    });
    expect(result).toMatchObject({ state: 'succeeded', kind: 'unlock', apdus: 4, serverCalls: 4 });
    expect(stepsOf(job.id)).toEqual(['puk_requested', 'pin_set', 'puk_changed', 'completed']);
    expect(verify(card, '975310')).toBe(0x9000);
    expect(resetWith(card, oldPuk, '975310')).toBe(0x63c2);
    expect(card.profile.puk).toBe(standIn.cards.get(serial)?.puks[0]);
    expect(standIn.bodies.join('\n')).not.toContain('975310');
  });

  it('renews at the desk: new keys and certificates, the PIN and management key as they were', async () => {
    const { card, transmit, serial, job: first } = await issued();
    const oldKeys = { ...card.profile.keys };
    const managementKey = card.profile.managementKey.key;
    const job = standIn.job('renew', serial);
    const result = await runCardJob({ transmit, server: server(), input: input(job, card) });
    expect(result).toMatchObject({ state: 'succeeded', kind: 'renew', apdus: 8 });
    expect(stepsOf(job.id)).toEqual([
      'management_challenge',
      'management_authenticated',
      'keys_generated',
      'certificates_written',
      'completed',
    ]);
    expect(card.profile.keys['9a']?.pem).not.toBe(oldKeys['9a']?.pem);
    expect(card.profile.keys['9c']?.pem).not.toBe(oldKeys['9c']?.pem);
    const reading = await readPivCard(transmit);
    const ders = reading.certificates.map((c) => ('certificate' in c ? c.certificate.der : ''));
    const renewed = standIn.jobs.get(job.id)?.certificates ?? {};
    expect(ders).toEqual([renewed['9a']?.toString('base64'), renewed['9c']?.toString('base64')]);
    expect(ders).not.toContain(
      standIn.jobs.get(first.id)?.certificates?.['9a']?.toString('base64'),
    );
    expect(card.profile.managementKey.key).toBe(managementKey);
    expect(verify(card, '24681357')).toBe(0x9000);
  });

  it('renews self-service only after the card accepts the holder’s PIN', async () => {
    const { card, transmit, serial } = await issued();
    const wrong = standIn.job('renew', serial, { selfService: true });
    const refused = await runCardJob({
      transmit,
      server: server(),
      input: input(wrong, card, { pin: '11223344' }),
    });
    expect(refused).toMatchObject({ state: 'failed', during: 'pin_verified' });
    expect(refused.error).toBe('The card did not accept the PIN: 2 tries left before it blocks.');
    expect(standIn.jobs.get(wrong.id)?.failure).toEqual({
      error: refused.error,
      during: 'pin_verified',
    });
    expect(stepsOf(wrong.id)).toEqual(['failed']);

    const job = standIn.job('renew', serial, { selfService: true });
    const result = await runCardJob({
      transmit,
      server: server(),
      input: input(job, card, { pin: '24681357' }),
    });
    expect(result).toMatchObject({ state: 'succeeded', apdus: 9 });
    expect(stepsOf(job.id)?.[0]).toBe('pin_verified');
    expect(standIn.bodies.join('\n')).not.toMatch(/11223344|24681357/);
  });

  it('tries the next management key when the card refuses one, with a new challenge', async () => {
    const { card, transmit, serial } = await issued();
    // The server thinks a key change may not have happened: it offers the transport key first.
    const record = standIn.cards.get(serial);
    if (record) record.managementKeys = ['transport', 'derived'];
    const job = standIn.job('renew', serial);
    const result = await runCardJob({ transmit, server: server(), input: input(job, card) });
    expect(result).toMatchObject({ state: 'succeeded', apdus: 10 });
    const steps = standIn.jobs.get(job.id)?.steps ?? [];
    expect(steps.slice(0, 3)).toEqual([
      expect.objectContaining({ step: 'management_challenge' }),
      expect.objectContaining({ step: 'management_challenge' }),
      { step: 'management_authenticated', candidate: 1 },
    ]);
    const [a, b] = steps as { challenge?: string }[];
    expect(a?.challenge).not.toBe(b?.challenge);
  });

  it('tries the next PUK when the card refuses one, and reports the one that worked', async () => {
    const { card, transmit, serial } = await issued();
    const record = standIn.cards.get(serial);
    if (record) record.puks = ['12345678', card.profile.puk];
    const job = standIn.job('unlock', serial);
    const result = await runCardJob({
      transmit,
      server: server(),
      input: input(job, card, { pin: '555666', pinConfirmation: '555666' }),
    });
    expect(result).toMatchObject({ state: 'succeeded', apdus: 5 });
    expect(standIn.jobs.get(job.id)?.steps).toEqual([
      { step: 'puk_requested' },
      { step: 'pin_set', candidate: 1 },
      { step: 'puk_changed', candidate: 1 },
      { step: 'completed' },
    ]);
    expect(verify(card, '555666')).toBe(0x9000);
    expect(card.profile.pukTries).toBe(3);
  });

  it('reports the step when the card is pulled out after its first key was made', async () => {
    const { card, transmit: plugged } = simulated();
    const serial = await serialOf(card);
    standIn.card(serial);
    const job = standIn.job('issue', serial);
    let generated = 0;
    const transmit = async (apdu: Buffer) => {
      if (generated > 0) throw new Error('SCardTransmit error: Card was removed.(0x80100069)');
      if (apdu[1] === 0x47) generated += 1;
      return plugged(apdu);
    };
    const result = await runCardJob({
      transmit,
      server: server(),
      input: input(job, card, { pin: '24681357', pinConfirmation: '24681357' }),
    });
    expect(result).toMatchObject({ state: 'failed', during: 'keys_generated' });
    expect(result.error).toBe(
      'The card was taken out of the reader while its keys were being made. Put it back and start the job again.',
    );
    expect(standIn.jobs.get(job.id)).toMatchObject({
      state: 'failed',
      failure: { error: result.error, during: 'keys_generated' },
    });
    expect(stepsOf(job.id)).toEqual([
      'management_challenge',
      'management_authenticated',
      'management_key_apdu',
      'management_key_set',
      'failed',
    ]);
  });

  it('refuses a PIN that breaks the rules before any APDU or call to the server', async () => {
    const cases: [object, string][] = [
      [{ pin: '12ab56', pinConfirmation: '12ab56' }, 'The PIN is numbers only: 6 to 8 digits.'],
      [
        { pin: '12345', pinConfirmation: '12345' },
        'The PIN must be 6 to 8 digits; this one has 5.',
      ],
      [
        { pin: '123456789', pinConfirmation: '123456789' },
        'The PIN must be 6 to 8 digits; this one has 9.',
      ],
      [
        { pin: '246813', pinConfirmation: '246812' },
        'The PIN and its confirmation are not the same.',
      ],
    ];
    for (const [pins, message] of cases) {
      const { card, sent, transmit } = simulated();
      const job = standIn.job('issue', 'never-asked');
      const calls = standIn.bodies.length;
      const result = await runCardJob({
        transmit,
        server: server(),
        input: input(job, card, pins),
      });
      expect(result).toMatchObject({ state: 'failed', during: 'start', error: message, apdus: 0 });
      expect(sent).toEqual([]);
      expect(standIn.bodies.length).toBe(calls);
      expect(standIn.jobs.get(job.id)?.state).toBe('pending');
    }
  });

  it('asks for the PIN a kind needs before it changes anything on the card', async () => {
    const { card, transmit, sent } = simulated();
    const serial = await serialOf(card);
    standIn.card(serial);
    const job = standIn.job('issue', serial);
    const result = await runCardJob({ transmit, server: server(), input: input(job, card) });
    expect(result).toMatchObject({ state: 'failed', during: 'start', apdus: 2 });
    expect(result.error).toBe('No new PIN was given: type the new PIN and its confirmation.');
    expect(sent.map((a) => a[1])).toEqual([0xa4, 0xcb]); // SELECT and GET DATA: reads only
    expect(standIn.jobs.get(job.id)?.failure).toEqual({ error: result.error });
  });

  it('tells the page why the server would not start the job, and leaves it pending', async () => {
    const { card, transmit } = simulated();
    const serial = await serialOf(card);
    standIn.card(serial);
    const job = standIn.job('renew', 'another-card');
    const result = await runCardJob({ transmit, server: server(), input: input(job, card) });
    expect(result).toMatchObject({ state: 'failed', during: 'start', step: null });
    expect(result.error).toBe(
      `The RA server refused to start the job: This job is for card another-card; the reader holds ${serial}`,
    );
    expect(standIn.jobs.get(job.id)).toMatchObject({ state: 'pending', steps: [] });
  });

  it("passes on the server's words when it refuses a step or the workstation's credential", async () => {
    const { card, transmit } = simulated();
    const serial = await serialOf(card);
    standIn.card(serial);
    const job = standIn.job('issue', serial);
    const client = server();
    // The server gave up on the job (say, the agent was silent too long) before the keys came.
    const ending: JobServer = {
      start: client.start,
      step: (id, body) => {
        const record = standIn.jobs.get(id);
        const steps = 'steps' in body ? body.steps : [body];
        if (steps.some((s) => s.step === 'keys_generated') && record) record.state = 'failed';
        return client.step(id, body);
      },
    };
    const pins = { pin: '24681357', pinConfirmation: '24681357' };
    const result = await runCardJob({ transmit, server: ending, input: input(job, card, pins) });
    // management_key_set went to the server with keys_generated (and puk_requested), and was
    // refused with them.
    expect(result).toMatchObject({
      state: 'failed',
      during: 'keys_generated',
      step: 'management_key_apdu',
    });
    expect(result.error).toBe(
      'The RA server refused the step "keys_generated": This job has ended.',
    );

    const other = standIn.job('issue', serial);
    const stranger = jobServerClient(() => ({ server: standIn.origin, credential: 'not-ours' }));
    const refused = await runCardJob({
      transmit,
      server: stranger,
      input: input(other, card, pins),
    });
    expect(refused.error).toBe(
      'The RA server refused to start the job: This workstation credential is not valid.',
    );
    const gone = jobServerClient(() => ({ server: 'http://127.0.0.1:9', credential }));
    const unreachable = await runCardJob({
      transmit,
      server: gone,
      input: input(other, card, pins),
    });
    expect(unreachable.error).toMatch(
      /^The RA server could not be reached while the job was starting: the RA server at http:\/\/127\.0\.0\.1:9 could not be reached: /,
    );
  });

  it('writes certificates by command chaining to a card that takes short APDUs only', async () => {
    const { card, transmit: plugged } = simulated();
    const serial = await serialOf(card);
    standIn.card(serial);
    const job = standIn.job('issue', serial);
    const sent: Buffer[] = [];
    // A card without extended-length support: anything longer than a short APDU is refused.
    const transmit = async (apdu: Buffer) => {
      sent.push(Buffer.from(apdu));
      const extended = apdu.length > 5 && apdu[4] === 0;
      return extended ? Buffer.from([0x67, 0x00]) : plugged(apdu);
    };
    const result = await runCardJob({
      transmit,
      server: server(),
      input: input(job, card, { pin: '24681357', pinConfirmation: '24681357' }),
    });
    expect(result.state, result.error ?? '').toBe('succeeded');
    const puts = sent.filter((a) => a[1] === 0xdb);
    expect(puts.every((a) => a.length <= 5 + 255 && a[4] !== 0)).toBe(true);
    expect(puts.filter((a) => a[0] === 0x10).length).toBeGreaterThan(2);
    const certs = standIn.jobs.get(job.id)?.certificates ?? {};
    // Each object: 5C 03 tag, 53 82 LL { 70 82 LL DER, 71 01 00, FE 00 }, in 255-byte pieces.
    const pieces = ['9a', '9c'].map((s) =>
      Math.ceil((5 + 4 + 4 + (certs[s]?.length ?? 0) + 3 + 2) / 255),
    );
    expect(puts.length).toBe((pieces[0] ?? 0) + (pieces[1] ?? 0));
    // SELECT, CHUID (extended refused, then short), 2 GA, SET KEY, 2 × (GENERATE + GET
    // RESPONSE), the PUT DATA pieces, RESET RETRY COUNTER, CHANGE REFERENCE DATA.
    expect(result.apdus).toBe(3 + 2 + 1 + 4 + puts.length + 2);
    const reading = await readPivCard(async (a) => card.transmit(a));
    expect(reading.certificates.map((c) => ('certificate' in c ? c.slot : c.error))).toEqual([
      '9a',
      '9c',
    ]);
  });
});
