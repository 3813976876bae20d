import { openSealed, secretBox } from '../../../pki/ca/secret-box.ts';
import { DomainError } from '../../errors.ts';
import { caKeyScrypt } from '../pki/ca-key-scrypt.ts';

/**
 * A card's transport management key, as kept in cards.encrypted_transport_key: sealed under
 * the CA key passphrase (pki/ca/secret-box.ts) and bound to the card's serial, so a value
 * copied onto another card's row does not open there. Never returned by a route, never
 * logged, never in the audit trail; the card-issuing step opens it to take the card over.
 */

/** What the GCM associated data names: the card, by its serial as stored. */
const contextOf = (serial: string) => `card-transport-key:${serial}`;

/** Refuses, saying why, when the server has no passphrase to seal keys under. */
export function requirePassphrase(passphrase: string | undefined): string {
  if (!passphrase) {
    throw new DomainError(
      'UNAVAILABLE',
      'Cards cannot be imported: the server has no CA key passphrase (CA_KEY_PASSPHRASE or CA_KEY_PASSPHRASE_FILE) to encrypt their management keys with. Ask whoever runs the server to set it.',
    );
  }
  return passphrase;
}

/** Seals management keys for many cards; the passphrase's key is derived once per process. */
export async function transportKeySealer(passphrase: string) {
  const box = await secretBox(passphrase, caKeyScrypt());
  return (serial: string, managementKeyHex: string) =>
    box.seal(Buffer.from(managementKeyHex, 'hex'), contextOf(serial));
}

/** The management key a card was imported with (for the issuing step, never for a route). */
export function openTransportKey(
  sealed: string,
  passphrase: string,
  serial: string,
): Promise<Buffer> {
  return openSealed(sealed, passphrase, contextOf(serial));
}
