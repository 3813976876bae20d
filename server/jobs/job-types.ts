import type { JobType } from './job-type.ts';
import { applyImport } from './types/apply-import.ts';
import { checkCardCounts, foldCardCounts } from './types/card-counts.ts';
import { endExpiredPositions } from './types/end-expired-positions.ts';
import { expiryScan } from './types/expiry-scan.ts';
import { purgeOldRecords } from './types/purge-old-records.ts';
import { refreshCrl } from './types/refresh-crl.ts';
import { sendMail } from './types/send-mail.ts';

const registered = new Map<string, JobType>();

/**
 * Adds a kind of job: its queue is created, its worker started and (with `schedule`) its
 * schedule kept by every process that starts the queue. Call it here, once per file in
 * types/, before the queue starts.
 */
export function registerJobType<Data>(type: JobType<Data>): void {
  if (!/^[a-z][a-z0-9-]*$/.test(type.name)) throw new Error(`bad job name ${type.name}`);
  if (registered.has(type.name)) throw new Error(`job ${type.name} registered twice`);
  registered.set(type.name, type as unknown as JobType);
}

registerJobType(expiryScan);
registerJobType(sendMail);
registerJobType(endExpiredPositions);
registerJobType(refreshCrl);
registerJobType(purgeOldRecords);
registerJobType(applyImport);
registerJobType(foldCardCounts);
registerJobType(checkCardCounts);

/** Every registered job type, in registration order. */
export function jobTypes(): JobType[] {
  return [...registered.values()];
}

export function jobType(name: string): JobType | undefined {
  return registered.get(name);
}
