import { lt } from 'drizzle-orm';
import { unlockCodes } from '../../../db/schema/card-jobs.ts';
import type { ServiceContext } from '../context.ts';
import { rateWindowMs } from './unlock-code-rules.ts';

/**
 * Deletes unlock codes that can no longer be used nor count towards the hourly limit: those
 * that expired more than a day ago. Returns how many went.
 */
export async function purgeOldUnlockCodes(ctx: ServiceContext): Promise<number> {
  const before = new Date(ctx.now().getTime() - Math.max(rateWindowMs, 86_400_000));
  const gone = await ctx.db
    .delete(unlockCodes)
    .where(lt(unlockCodes.expiresAt, before))
    .returning({ id: unlockCodes.id });
  return gone.length;
}
