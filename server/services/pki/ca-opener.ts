import type { Database } from '../../../db/client.ts';
import { ConfigError } from '../../config.ts';

/** The CAs opened for signing: the issuing key decrypted, held in this process only. */
export interface LoadedCertificateAuthority {
  root: { certificate: Buffer };
  issuing: { id: string; certificate: Buffer; privateKey: Buffer };
}

/**
 * Opens the deployment's CAs for a verb that signs (a CRL after a revocation, a card's
 * certificate): null when no CA exists yet; throws ConfigError when the passphrase does not
 * open the key. The key is opened once per process and kept in memory only.
 *
 * A verb inside a transaction passes the transaction's `db`, so the first opening reads the
 * CA rows through it: on the embedded PGlite (one connection), a query outside the open
 * transaction waits for it to end, and the transaction would wait for the key for ever.
 */
export type CaOpener = (db?: Database) => Promise<LoadedCertificateAuthority | null>;

/**
 * A CaOpener that opens the key once and keeps it; a CA not yet made (or a failure such as a
 * lost connection) is looked for again on the next call, so `npm run ca -- init` on a running
 * server is picked up. A passphrase that does not open the key (ConfigError) is kept as the
 * answer: the process's passphrase cannot change, and each try costs a scrypt derivation
 * (128 MiB, a fraction of a second), which any OCSP request would otherwise make again.
 */
export function memoisedCaOpener(
  open: (db?: Database) => Promise<LoadedCertificateAuthority | null>,
): CaOpener {
  let loading: Promise<LoadedCertificateAuthority | null> | undefined;
  return (db) => {
    if (!loading) {
      const attempt = open(db);
      loading = attempt;
      attempt.then(
        (ca) => {
          if (!ca && loading === attempt) loading = undefined;
        },
        (err) => {
          if (loading === attempt && !(err instanceof ConfigError)) loading = undefined;
        },
      );
    }
    return loading;
  };
}
