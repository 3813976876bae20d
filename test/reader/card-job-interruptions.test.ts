import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardJobSteps } from '../../db/schema/card-jobs.ts';
import { loadProfile } from '../../reader/simulator/card-profile.ts';
import { newStarter, stockSerials } from '../support/card-jobs.ts';
import { RevocationReader } from '../support/revocation-status.ts';
import type { SignedIn } from '../support/test-app.ts';
import { CardJobStack, piv } from './card-job-stack.ts';

const staleSeconds = 2;
const ok = (answer: Buffer) => answer.readUInt16BE(answer.length - 2) === 0x9000;
/** The card's commands, by instruction byte (and P2, the key or reference). */
const is = {
  generate9c: (c: Buffer) => c[1] === 0x47 && c[3] === 0x9c,
  putData: (c: Buffer) => c[1] === 0xdb,
  setManagementKey: (c: Buffer) => c[1] === 0xff,
  resetRetryCounter: (c: Buffer) => c[1] === 0x2c,
  changePuk: (c: Buffer) => c[1] === 0x24 && c[3] === 0x81,
};

/**
 * Issue 11's interruptions through the real stack (pcscd, the simulator, the `watch` agent as
 * a process, the server on a real port): a card pulled out after its keys were made, and the
 * agent killed (SIGKILL) in the windows where the card changed and the server has not heard
 * yet. Each failed job ends failed with what happened, its certificates revoked as
 * cessationOfOperation; the next job completes, and the server's records are the card's.
 * The server's clock is the test's: a job goes stale when the test moves it past
 * CARD_JOB_STALE_SECONDS, as the page asking after the job then learns.
 */
describe('card jobs interrupted: the card pulled, the agent killed', () => {
  const stack = new CardJobStack();
  let stock: string[] = [];
  let raAgent: SignedIn;
  let sponsor: SignedIn;

  beforeAll(async () => {
    await stack.start({ CARD_JOB_STALE_SECONDS: String(staleSeconds) });
    stock = await stockSerials(stack.t);
    await stack.startAgent();
    raAgent = await stack.t.login('agent');
    sponsor = await stack.t.login('sponsor');
  }, 120_000);

  afterAll(() => stack.close());

  /**
   * Kills the agent when the card gets the first command `when` accepts: `after` the card
   * carried it out (its answer reaches a dead process), or `before` the card saw it (as if
   * the agent died while sending it). Resolves once the agent has exited.
   */
  const killAgentAt = (moment: 'before' | 'after', when: (command: Buffer) => boolean) => {
    const connection = stack.card?.connection;
    const agent = stack.agent?.process;
    if (!connection || !agent) throw new Error('no card or no agent');
    const exited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
    const kill = (command: Buffer) => {
      if (!when(command)) return false;
      connection.hooks = {};
      process.kill(agent.pid ?? 0, 'SIGKILL');
      return true;
    };
    connection.hooks =
      moment === 'before'
        ? { before: (c) => (kill(c) ? Buffer.from('6f00', 'hex') : undefined) }
        : {
            after: (c) => {
              kill(c);
              return undefined;
            },
          };
    return exited;
  };

  /** The server's clock moves past the stale time; the page asking after the job sees it failed. */
  const lapse = async (jobId: string) => {
    const before = await stack.view(raAgent, jobId);
    expect(before.state, 'running until the stale time passes').toBe('running');
    stack.t.clock.advance((staleSeconds + 1) * 1000);
    const after = await stack.view(raAgent, jobId);
    expect(after.state).toBe('failed');
    expect(after.failure).toMatch(/agent stopped reporting/);
    return after;
  };

  const stepDetail = async (jobId: string, step: string) =>
    (await stack.t.db.select().from(cardJobSteps).where(eq(cardJobSteps.jobId, jobId)))
      .filter((s) => s.step === step)
      .map((s) => s.detail as Record<string, unknown>);

  /** The job's certificates: revoked as cessationOfOperation, in the DB and on the CRL. */
  const expectRevokedAsCessation = async (jobId: string) => {
    const issued = await stack.jobCertificates(jobId);
    expect(issued.map((c) => c.slot).sort()).toEqual(['9a', '9c']);
    const crl = await new RevocationReader(stack.t).crl();
    for (const c of issued) {
      expect(c.current).toBe(false);
      expect(c.revocationReason).toBe('cessationOfOperation');
      expect(crl.listed.get(c.serialNumber)).toBe('Cessation Of Operation');
    }
  };

  it('a card pulled out after its keys were made, then while a certificate was written: each job fails saying so, its certificates revoked, the card still in stock; put back, the next job issues it and the records are the card’s', async () => {
    const began = performance.now();
    const serial = stock[0] ?? '';
    const { card, profilePath } = await stack.insertStockCard(serial);
    const holder = await newStarter(stack.t, 'Ife');
    const pulled = card.pullAfter((c, answer) => is.generate9c(c) && ok(answer));
    const failed = await stack.runJob(
      raAgent,
      serial,
      { kind: 'issue', personId: holder.id },
      '24681012',
    );
    await pulled;
    expect(failed.state).toBe('failed');
    expect(failed.failure).toMatch(
      /taken out of the reader while its certificates were being written/,
    );
    // An issue's keys_generated call also asked for the PUKs: the last step recorded.
    expect(failed.step).toBe('puk_requested');
    await expectRevokedAsCessation(failed.id);
    const row = await stack.cardRow(serial);
    expect(row.state).toBe('in_stock');
    expect(row.personId).toBeNull();
    // The card holds the keys the job made, and no certificate.
    expect(Object.keys(loadProfile(profilePath).keys).sort()).toEqual(['9a', '9c']);

    // Put back, and pulled out again in the middle of writing the first certificate: the
    // command goes unanswered (pcscd then tells the agent "Transaction failed" as often as
    // "Card was removed"; the operator reads the same sentence either way).
    await stack.reinsert();
    const midWrite = card.pullDuring(is.putData);
    const again = await stack.runJob(
      raAgent,
      serial,
      { kind: 'issue', personId: holder.id },
      '24681012',
    );
    await midWrite;
    expect(again.state).toBe('failed');
    expect(again.failure).toMatch(
      /taken out of the reader while its certificates were being written/,
    );
    await expectRevokedAsCessation(again.id);
    expect((await stack.cardRow(serial)).state).toBe('in_stock');

    await stack.reinsert();
    const pin = '13572468';
    const issued = await stack.runJob(raAgent, serial, { kind: 'issue', personId: holder.id }, pin);
    expect(issued.state, `${issued.failure}\n${stack.agent?.log}`).toBe('succeeded');
    expect((await stack.cardRow(serial)).state).toBe('active');
    await stack.expectRecordsMatchCard(serial, profilePath);

    // A renewal authenticates with the card's own key, the only one offered.
    const renewed = await stack.runJob(raAgent, serial, { kind: 'renew' });
    expect(renewed.state, `${renewed.failure}`).toBe('succeeded');
    expect(await stepDetail(renewed.id, 'management_challenge')).toEqual([{ candidates: 1 }]);
    expect(await stepDetail(renewed.id, 'management_authenticated')).toEqual([{ key: 'derived' }]);
    await stack.expectRecordsMatchCard(serial, profilePath);

    // Blocked, it unlocks with the PUK the server holds, at the first try.
    for (let i = 0; i < 3; i += 1) await piv('-a', 'verify-pin', '-P', '000000');
    const unlocked = await stack.runJob(sponsor, serial, { kind: 'unlock' }, '97531864');
    expect(unlocked.state, `${unlocked.failure}`).toBe('succeeded');
    expect(loadProfile(profilePath).pukTries).toBe(3);
    expect((await piv('-a', 'verify-pin', '-P', '97531864')).code).toBe(0);
    await stack.expectRecordsMatchCard(serial, profilePath);
    console.log(`card pulled after key generation: ${Math.round(performance.now() - began)} ms`);
  }, 180_000);

  it('the agent killed around SET MANAGEMENT KEY: before the card got it, then after it took it; each job fails once the agent stops reporting, and the next authenticates with whichever key the card holds and issues it', async () => {
    const began = performance.now();
    const serial = stock[1] ?? '';
    const { profilePath } = await stack.insertStockCard(serial);
    const transportKey = loadProfile(profilePath).managementKey.key;
    const holder = await newStarter(stack.t, 'Kemi');
    const issue = { kind: 'issue', personId: holder.id };

    // Killed as it sent the command: the server sent it, the card never got it.
    let killed = killAgentAt('before', is.setManagementKey);
    const first = await stack.handJob(raAgent, serial, issue, '24681012');
    await killed;
    expect((await stack.cardRow(serial)).managementKey).toBe('changing');
    expect(loadProfile(profilePath).managementKey.key).toBe(transportKey);
    const firstFailed = await lapse(first);
    expect(firstFailed.failure).toContain('Locking the card to this RA');
    expect(await stack.jobCertificates(first)).toEqual([]);
    expect((await stack.cardRow(serial)).state).toBe('in_stock');

    // Started again, the agent is offered both keys: the derived one is refused, the
    // transport key opens the card; killed once the card took its own key.
    await stack.startAgent();
    killed = killAgentAt('after', is.setManagementKey);
    const second = await stack.handJob(raAgent, serial, issue, '24681012');
    await killed;
    expect(await stepDetail(second, 'management_challenge')).toEqual([
      { candidates: 2 },
      { candidates: 2 },
    ]);
    expect(await stepDetail(second, 'management_authenticated')).toEqual([{ key: 'transport' }]);
    expect((await stack.cardRow(serial)).managementKey).toBe('changing');
    expect(loadProfile(profilePath).managementKey.key).not.toBe(transportKey);
    expect((await stack.view(raAgent, second)).state).toBe('running');

    // The agent started again, the operator asks again as soon as the stale time has passed,
    // nobody having looked at the job: asking fails it. The next job finds the card's own
    // key first, and completes.
    stack.t.clock.advance((staleSeconds + 1) * 1000);
    await stack.startAgent();
    const issued = await stack.runJob(raAgent, serial, issue, '13572468');
    expect(issued.state, `${issued.failure}\n${stack.agent?.log}`).toBe('succeeded');
    const secondFailed = await stack.view(raAgent, second);
    expect(secondFailed.state).toBe('failed');
    expect(secondFailed.failure).toMatch(
      /agent stopped reporting after “Locking the card to this RA”/,
    );
    expect(await stepDetail(issued.id, 'management_authenticated')).toEqual([{ key: 'derived' }]);
    await stack.expectRecordsMatchCard(serial, profilePath);
    const renewed = await stack.runJob(raAgent, serial, { kind: 'renew' });
    expect(renewed.state, `${renewed.failure}`).toBe('succeeded');
    expect(await stepDetail(renewed.id, 'management_challenge')).toEqual([{ candidates: 1 }]);
    await stack.expectRecordsMatchCard(serial, profilePath);
    console.log(
      `agent killed around SET MANAGEMENT KEY: ${Math.round(performance.now() - began)} ms`,
    );
  }, 180_000);

  it('the agent killed after the card took its new PUK, then before it used one: each job fails, its certificates revoked; the next issue finds the PUK, and so does an unlock after one killed the same way', async () => {
    const began = performance.now();
    const serial = stock[2] ?? '';
    const { profilePath } = await stack.insertStockCard(serial);
    const holder = await newStarter(stack.t, 'Tunde');
    const issue = { kind: 'issue', personId: holder.id };
    const secrets = stack.t.ctx.cardSecrets;
    if (!secrets) throw new Error('no card secrets');
    const puk = async () => {
      const row = await stack.cardRow(serial);
      return {
        current: row.encryptedPuk ? secrets.openPuk(row.encryptedPuk, serial) : null,
        pending: row.encryptedPendingPuk ? secrets.openPuk(row.encryptedPendingPuk, serial) : null,
      };
    };

    // Killed once the card took the new PUK: the server holds it as pending.
    await stack.startAgent();
    let killed = killAgentAt('after', is.changePuk);
    const first = await stack.handJob(raAgent, serial, issue, '24681012');
    await killed;
    const cardPuk = loadProfile(profilePath).puk;
    expect((await puk()).pending).toBe(cardPuk);
    const firstFailed = await lapse(first);
    expect(firstFailed.failure).toContain('The new PIN was set');
    await expectRevokedAsCessation(first);
    expect((await stack.cardRow(serial)).state).toBe('in_stock');

    // Killed again before the card was given any PUK: the card still holds that one.
    await stack.startAgent();
    killed = killAgentAt('before', is.resetRetryCounter);
    const second = await stack.handJob(raAgent, serial, issue, '24681012');
    await killed;
    await lapse(second);
    await expectRevokedAsCessation(second);
    expect(loadProfile(profilePath).puk).toBe(cardPuk);
    expect(Object.values(await puk())).toContain(cardPuk);

    await stack.startAgent();
    const issued = await stack.runJob(raAgent, serial, issue, '13572468');
    expect(issued.state, `${issued.failure}\n${stack.agent?.log}`).toBe('succeeded');
    await stack.expectRecordsMatchCard(serial, profilePath);

    // Blocked, unlocked at the desk: killed once the card took the new PUK.
    for (let i = 0; i < 3; i += 1) await piv('-a', 'verify-pin', '-P', '000000');
    killed = killAgentAt('after', is.changePuk);
    const unlock = await stack.handJob(sponsor, serial, { kind: 'unlock' }, '11223344');
    await killed;
    expect((await puk()).pending).toBe(loadProfile(profilePath).puk);
    await lapse(unlock);
    await stack.startAgent();
    const unlocked = await stack.runJob(sponsor, serial, { kind: 'unlock' }, '55667788');
    expect(unlocked.state, `${unlocked.failure}\n${stack.agent?.log}`).toBe('succeeded');
    expect((await piv('-a', 'verify-pin', '-P', '55667788')).code).toBe(0);
    expect(loadProfile(profilePath).pukTries).toBe(3);
    await stack.expectRecordsMatchCard(serial, profilePath);
    console.log(`agent killed around the PUK: ${Math.round(performance.now() - began)} ms`);
  }, 240_000);
});
