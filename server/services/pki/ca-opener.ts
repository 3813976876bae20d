/** The CAs opened for signing: the issuing key decrypted, held in this process only. */
export interface LoadedCertificateAuthority {
  root: { certificate: Buffer };
  issuing: { id: string; certificate: Buffer; privateKey: Buffer };
}

/**
 * Opens the deployment's CAs for a verb that signs (a CRL after a revocation, a card's
 * certificate): null when no CA exists yet; throws ConfigError when the passphrase does not
 * open the key. The key is opened once per process and kept in memory only.
 */
export type CaOpener = () => Promise<LoadedCertificateAuthority | null>;

/**
 * A CaOpener that opens the key once and keeps it; a CA not yet made (or a failure) is looked
 * for again on the next call, so `npm run ca -- init` on a running server is picked up.
 */
export function memoisedCaOpener(open: () => Promise<LoadedCertificateAuthority | null>): CaOpener {
  let loading: Promise<LoadedCertificateAuthority | null> | undefined;
  return () => {
    if (!loading) {
      const attempt = open();
      loading = attempt;
      attempt.then(
        (ca) => {
          if (!ca && loading === attempt) loading = undefined;
        },
        () => {
          if (loading === attempt) loading = undefined;
        },
      );
    }
    return loading;
  };
}
