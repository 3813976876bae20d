import { eq } from 'drizzle-orm';
import { certificateAuthorities } from '../../../db/schema/pki.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { crlRefreshMarginMs } from './crl-lifetime.ts';
import { publishCrl } from './publish-crl.ts';

/**
 * Publishes a new CRL when the current one has less than the margin left before its
 * nextUpdate, so relying parties never hold a stale CRL. Returns the new CRL number, or null
 * when none was due (or there is no CA). Two servers doing it at once publish one each, in
 * turn: publishCrl locks the CA row, and a re-check inside the lock skips the second.
 */
export async function refreshCrlIfDue(ctx: ServiceContext): Promise<bigint | null> {
  const due = (next: Date | null) =>
    next !== null && next.getTime() - ctx.now().getTime() < crlRefreshMarginMs;
  const [row] = await ctx.db
    .select({ nextUpdate: certificateAuthorities.crlNextUpdate })
    .from(certificateAuthorities)
    .where(eq(certificateAuthorities.name, 'issuing'));
  if (!row || !due(row.nextUpdate)) return null;
  if (!(await ctx.certificateAuthority?.())) return null;
  return withTransaction(ctx, async (tx) => {
    const [locked] = await tx.db
      .select({ nextUpdate: certificateAuthorities.crlNextUpdate })
      .from(certificateAuthorities)
      .where(eq(certificateAuthorities.name, 'issuing'))
      .for('update');
    if (!locked || !due(locked.nextUpdate)) return null;
    return publishCrl(tx);
  });
}
