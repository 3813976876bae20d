/** How long a CRL is good for (its nextUpdate); it is remade well before then. */
export const crlLifetimeMs = 7 * 24 * 3_600_000;

/** A CRL is remade when less than this is left before its nextUpdate. */
export const crlRefreshMarginMs = 3 * 24 * 3_600_000;
