import { randomBytes, webcrypto } from 'node:crypto';
import { cards } from '../../db/schema/cards.ts';
import type { CardState } from '../../server/services/cards/card-lifecycle.ts';
import { withTransaction } from '../../server/services/context.ts';
import { issueCardCertificate } from '../../server/services/pki/issue-card-certificate.ts';
import type { TestApp } from './test-app.ts';

export interface IssuedCertificate {
  profile: 'authentication' | 'signature';
  /** Hex, lower case, as the certificates table and the card view hold it. */
  serialNumber: string;
  der: Buffer;
}

export interface TestCard {
  id: string;
  serial: string;
  certificates: IssuedCertificate[];
}

/**
 * A card put straight into a state, as a test's starting point: the moves under test go
 * through the API. With `certificates`, both of the card's certificates are issued by the
 * deployment's CA through its issuing verb (keys made here, as the card would make them),
 * so the CRL and OCSP know them.
 */
export async function createCard(
  t: TestApp,
  input: { state: CardState; personId: string | null; certificates?: boolean },
): Promise<TestCard> {
  const serial = randomBytes(16).toString('hex');
  const now = t.clock.now();
  const [card] = await t.db
    .insert(cards)
    .values({
      serial,
      personId: input.personId,
      state: input.state,
      stateChangedAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: cards.id });
  if (!card) throw new Error('the test card was not created');
  const issued: IssuedCertificate[] = [];
  if (input.certificates) {
    const personId = input.personId;
    if (!personId) throw new Error('a card with certificates needs a holder');
    for (const profile of ['authentication', 'signature'] as const) {
      const pair = await webcrypto.subtle.generateKey(
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['sign', 'verify'],
      );
      const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', pair.publicKey));
      const cert = await withTransaction(t.ctx, (tx) =>
        issueCardCertificate(tx, {
          cardId: card.id,
          personId,
          profile,
          subjectPublicKeyInfo: spki,
          baseUrl: 'https://ra.example.test',
          validityDays: t.config.certificateValidityDays,
          upnDomain: t.config.upnDomain,
        }),
      );
      issued.push({
        profile,
        serialNumber: cert.serialNumber.toLowerCase(),
        der: cert.certificate,
      });
    }
  }
  return { id: card.id, serial, certificates: issued };
}
