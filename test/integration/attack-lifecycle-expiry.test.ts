import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards, certificates } from '../../db/schema/cards.ts';
import { initCertificateAuthority } from '../../server/services/pki/certificate-authority.ts';
import { createCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, post } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const passphrase = 'attack lifecycle expiry passphrase';

describe.each(testDrivers)('attack: a card held past its certificates’ end (%s)', (driver) => {
  let t: TestApp;
  let agent: SignedIn;
  let priya: string;
  beforeAll(async () => {
    t = await createTestApp(driver, { env: { CA_KEY_PASSPHRASE: passphrase } });
    await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Royal Wessex Group' });
    agent = await t.login('agent');
    priya = await demoPersonId(t, 'Priya');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('cancelling a suspended card leaves no certificate of it on hold, expired or not', async () => {
    const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
    expect(
      (await post(t, agent, `/api/cards/${card.serial}/suspend`, { reason: 'reported_missing' }))
        .status,
    ).toBe(200);
    t.clock.advance(3 * 365 * 86_400_000);
    const agent2 = await t.login('agent');
    const res = await post(t, agent2, `/api/cards/${card.serial}/cancel`, { reason: 'stolen' });
    expect(res.status, await res.clone().text()).toBe(200);
    const rows = await t.db.select().from(certificates).where(eq(certificates.cardId, card.id));
    expect(rows.map((r) => r.revocationReason)).toEqual(['keyCompromise', 'keyCompromise']);
    const [row] = await t.db.select().from(cards).where(eq(cards.id, card.id));
    expect(row?.expiresAt).toBeNull();
  });
});
