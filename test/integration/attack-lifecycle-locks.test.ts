import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../db/schema/people.ts';
import { initCertificateAuthority } from '../../server/services/pki/certificate-authority.ts';
import { createCard } from '../support/card-fixtures.ts';
import { demoPersonId, post } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

const passphrase = 'attack lifecycle locks passphrase';

/**
 * Closing a person locks their row, then their cards. A move of one of those cards that
 * waited on the holder's row (PostgreSQL's foreign-key check of cards.person_id does, when a
 * transaction updates the card's row a second time) deadlocked with the closing: one of the
 * two was a 500. A move must never wait on its holder's row.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'attack: a card’s move and its holder’s row on PostgreSQL',
  () => {
    let t: TestApp;
    let agent: SignedIn;
    let priya: string;
    beforeAll(async () => {
      t = await createTestApp('postgres', { env: { CA_KEY_PASSPHRASE: passphrase } });
      await initCertificateAuthority(t.ctx, { passphrase, organisation: 'Royal Wessex Group' });
      agent = await t.login('agent');
      priya = await demoPersonId(t, 'Priya');
    }, 120_000);
    afterAll(async () => {
      await t?.close();
    });

    it('suspends, reinstates and cancels while the holder’s row is locked as closing locks it', async () => {
      const card = await createCard(t, { state: 'active', personId: priya, certificates: true });
      for (const [verb, body] of [
        ['suspend', { reason: 'reported_missing' }],
        ['reinstate', undefined],
        ['cancel', { reason: 'left' }],
      ] as const) {
        const outcome = await t.db.transaction(async (tx) => {
          await tx.select({ id: people.id }).from(people).where(eq(people.id, priya)).for('update');
          const moved: Promise<Response> = body
            ? post(t, agent, `/api/cards/${card.serial}/${verb}`, body)
            : Promise.resolve(
                t.app.request(`/api/cards/${card.serial}/${verb}`, {
                  method: 'POST',
                  headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrfToken },
                }),
              );
          const waited = new Promise<'waited'>((done) => setTimeout(() => done('waited'), 2_000));
          return Promise.race([moved.then((res) => res.status), waited]);
        });
        expect(outcome, verb).toBe(200);
      }
    });
  },
);
