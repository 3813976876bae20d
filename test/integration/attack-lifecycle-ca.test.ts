import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../../db/schema/access.ts';
import { accounts } from '../../db/schema/accounts.ts';
import { auditEvents } from '../../db/schema/audit.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { certificateAuthorities } from '../../db/schema/pki.ts';
import { transitionCardTx } from '../../server/services/cards/transition-card.ts';
import { withTransaction } from '../../server/services/context.ts';
import {
  caOpenerFor,
  initCertificateAuthority,
} from '../../server/services/pki/certificate-authority.ts';
import { createCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, post } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const right = 'the passphrase the CA was made with';
const wrong = 'a passphrase that opens nothing at all';

describe.each(testDrivers)('attack: a move when the CA key cannot be opened (%s)', (driver) => {
  let t: TestApp;
  /** The test app as it would be with the right passphrase: to issue the cards' certificates. */
  let good: TestApp;
  let agent: SignedIn;
  let manager: SignedIn;
  let priya: string;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: wrong } });
    await initCertificateAuthority(t.ctx, {
      passphrase: right,
      organisation: 'Royal Wessex Group',
    });
    good = { ...t, ctx: { ...t.ctx, certificateAuthority: caOpenerFor(t.ctx, right) } };
    agent = await t.login('agent');
    manager = await t.login('manager');
    priya = await demoPersonId(t, 'Priya');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const move = (who: SignedIn, serial: string, verb: string, body?: unknown) => {
    const headers: Record<string, string> = { ...who.headers };
    if (body === undefined) delete headers['content-type'];
    return t.app.request(`/api/cards/${serial}/${verb}`, {
      method: 'POST',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  const everything = async () => ({
    cards: await t.db.select().from(cards).orderBy(asc(cards.serial)),
    certificates: await t.db
      .select({ s: certificates.serialNumber, r: certificates.revocationReason })
      .from(certificates)
      .orderBy(asc(certificates.serialNumber)),
    ca: await t.db
      .select({ n: certificateAuthorities.crlNumber, crl: certificateAuthorities.crl })
      .from(certificateAuthorities),
    people: await t.db.select().from(people).orderBy(asc(people.id)),
    accounts: await t.db.select({ s: accounts.status }).from(accounts).orderBy(asc(accounts.id)),
    assignments: await t.db.select().from(assignments).orderBy(asc(assignments.id)),
    events: (
      await t.db.select({ a: auditEvents.action }).from(auditEvents).orderBy(asc(auditEvents.id))
    ).filter((e) => e.a !== 'security.refused'),
  });

  async function expect503(res: Response, label: string) {
    const text = await res.text();
    expect(res.status, `${label}: ${text}`).toBe(503);
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    expect(error.code, label).toBe('UNAVAILABLE');
    expect(error.message, label).toMatch(/certificate authority/i);
    expect(text, label).not.toContain(wrong);
    expect(text, label).not.toContain(right);
  }

  it('cancel, suspend and reinstate of a card with our certificates: 503, nothing changed', async () => {
    const active = await createCard(good, { state: 'active', personId: priya, certificates: true });
    const held = await createCard(good, { state: 'active', personId: priya, certificates: true });
    await withTransaction(good.ctx, (tx) =>
      transitionCardTx(
        tx,
        { serial: held.serial, verb: 'suspend', reason: 'reported_missing' },
        { actor: 'system' },
      ),
    );
    const before = await everything();
    await expect503(await move(agent, active.serial, 'cancel', { reason: 'lost' }), 'cancel');
    await expect503(
      await move(agent, active.serial, 'suspend', { reason: 'reported_missing' }),
      'suspend',
    );
    await expect503(await move(agent, held.serial, 'reinstate'), 'reinstate');
    await expect503(await move(agent, held.serial, 'cancel', { reason: 'stolen' }), 'cancel held');
    expect(await everything()).toEqual(before);
    // The page still opens, and a card without certificates of ours still moves.
    const seen = await t.app.request(`/api/cards/${active.serial}`, { headers: agent.headers });
    expect(seen.status).toBe(200);
    const bare = await createCard(t, { state: 'active', personId: priya });
    expect((await move(agent, bare.serial, 'cancel', { reason: 'damaged' })).status).toBe(200);
  });

  it('closing a person whose card has our certificates: 503, the close does not half-happen', async () => {
    const [staff] = await t.db.select().from(people).where(eq(people.givenName, 'Sky'));
    if (!staff) throw new Error('no Sky');
    await createCard(good, { state: 'active', personId: staff.id, certificates: true });
    await createCard(t, { state: 'active', personId: staff.id });
    const before = await everything();
    await expect503(
      await post(t, manager, `/api/people/${staff.id}/close`, { reason: 'Left the trust' }),
      'close',
    );
    expect(await everything()).toEqual(before);
  });
});
