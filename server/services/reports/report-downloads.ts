import type { Readable } from 'node:stream';
import { statusLabel } from '../../../vocabulary/status-label.ts';
import { systemLabel } from '../../../vocabulary/system-labels.ts';
import type { ServiceContext } from '../context.ts';
import { todayOf } from '../dates.ts';
import { type CardsByStateRow, cardsByState } from './cards-by-state.ts';
import { type ExpiringWeek, expiringByWeek, type ReportInput } from './expiring-by-week.ts';
import { type EndingAssignment, everyPositionEnding } from './positions-ending.ts';
import { type CsvColumn, csvStream } from './report-csv.ts';
import { type RequestMonth, requestsByMonth } from './requests-by-month.ts';
import { type SystemAccessRow, systemAccess } from './system-access.ts';
import { type UnlockMonth, unlocksByMonth } from './unlocks-by-month.ts';

export const reportNames = [
  'cards-by-state',
  'expiring-by-week',
  'requests-by-month',
  'unlocks-by-month',
  'system-access',
  'positions-ending',
] as const;
export type ReportName = (typeof reportNames)[number];

const cardsColumns: CsvColumn<CardsByStateRow>[] = [
  { header: 'ODS code', value: (r) => r.odsCode },
  { header: 'Organisation', value: (r) => r.organisation },
  { header: 'State', value: (r) => statusLabel(r.state) },
  { header: 'Card type', value: (r) => r.cardType },
  { header: 'Cards', value: (r) => r.cards },
];
const expiringColumns: CsvColumn<ExpiringWeek>[] = [
  { header: 'Week starting', value: (r) => r.weekStarting },
  { header: 'Cards expiring', value: (r) => r.cards },
];
const requestColumns: CsvColumn<RequestMonth>[] = [
  { header: 'Month', value: (r) => r.month },
  { header: 'Raised', value: (r) => r.raised },
  { header: 'Decided', value: (r) => r.decided },
  { header: 'Approved', value: (r) => r.approved },
  { header: 'Rejected', value: (r) => r.rejected },
  { header: 'Withdrawn', value: (r) => r.withdrawn },
  { header: 'Median hours to decision', value: (r) => r.medianHoursToDecision },
];
const unlockColumns: CsvColumn<UnlockMonth>[] = [
  { header: 'Month', value: (r) => r.month },
  { header: 'Unlocks', value: (r) => r.unlocks },
  { header: 'Self-service', value: (r) => r.selfService },
];
const systemColumns: CsvColumn<SystemAccessRow>[] = [
  { header: 'System', value: (r) => systemLabel(r.system) },
  { header: 'People', value: (r) => r.people },
  { header: 'Positions', value: (r) => r.positions },
];
const endingColumns: CsvColumn<EndingAssignment>[] = [
  { header: 'End date', value: (r) => r.endDate },
  { header: 'Name', value: (r) => r.person.name },
  { header: 'User ID', value: (r) => r.person.userId },
  { header: 'Position', value: (r) => r.position.name },
  { header: 'ODS code', value: (r) => r.odsCode },
  { header: 'Organisation', value: (r) => r.organisation },
];

/**
 * A report as a CSV download: its file name and its stream. States and systems are in the
 * words the report's page shows (`vocabulary/`), under the same headers as ever. The filters are checked, and
 * a refusal thrown, before the stream exists; the aggregate reports are a few dozen rows
 * from one grouped query, and the list of positions ending streams by keyset batches.
 */
export async function downloadReport(
  ctx: ServiceContext,
  name: ReportName,
  input: ReportInput,
): Promise<{ filename: string; csv: Readable }> {
  const filename = `${name}-${todayOf(ctx.now())}.csv`;
  switch (name) {
    case 'cards-by-state':
      return { filename, csv: csvStream(cardsColumns, await cardsByState(ctx, input)) };
    case 'expiring-by-week':
      return {
        filename,
        csv: csvStream(expiringColumns, (await expiringByWeek(ctx, input)).weeks),
      };
    case 'requests-by-month':
      return {
        filename,
        csv: csvStream(requestColumns, (await requestsByMonth(ctx, input)).months),
      };
    case 'unlocks-by-month':
      return { filename, csv: csvStream(unlockColumns, (await unlocksByMonth(ctx, input)).months) };
    case 'system-access':
      return { filename, csv: csvStream(systemColumns, (await systemAccess(ctx, input)).systems) };
    case 'positions-ending':
      return { filename, csv: csvStream(endingColumns, await everyPositionEnding(ctx, input)) };
  }
}
