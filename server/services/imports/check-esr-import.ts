import { and, eq } from 'drizzle-orm';
import { importRows, imports } from '../../../db/schema/imports.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { checkEsrHeader, type EsrRow, esrCodes, esrColumns, readEsrRow } from './esr-rows.ts';
import { type ImportView, viewImport } from './import-view.ts';
import { catalogueProblems, planEsrRows, readEsrCatalogue, refusedOn } from './plan-esr-rows.ts';
import { fileProblem, readCsv } from './read-csv.ts';
import { countPlans, type StagedRow, stageRows } from './stage-rows.ts';

/** Rows planned and written together: one query per step (and one COPY) for this many rows. */
const chunkSize = 5000;

/** Rows read and checked, waiting to be planned and staged. */
type Chunk = {
  line: number;
  fields: Record<string, string>;
  row: EsrRow | null;
  problems: string[];
}[];

export interface CheckEsrImportInput {
  fileName: string;
  /** The file's bytes as they arrive. */
  body: AsyncIterable<Uint8Array>;
  maxBytes: number;
}

/**
 * Reads an ESR staff file as it streams in and makes its dry run: every row with its line
 * number and what applying it would do (create, change, leave, leave alone) or why it is
 * refused. Nothing but the import and its rows is written, in one transaction: a file
 * refused as a whole (wrong header, not UTF-8, too large, not CSV) leaves nothing behind.
 * An employee number on two lines refuses both, each naming the other.
 */
export async function checkEsrImport(
  ctx: ServiceContext,
  input: CheckEsrImportInput,
): Promise<ImportView> {
  return withTransaction(ctx, async (tx) => {
    const catalogue = await readEsrCatalogue(tx);
    const [created] = await tx.db
      .insert(imports)
      .values({
        kind: 'esr',
        fileName: input.fileName,
        rowCount: 0,
        planned: {},
        createdBy: ctx.actor?.accountId ?? null,
        createdAt: ctx.now(),
      })
      .returning({ id: imports.id });
    if (!created) throw new Error('import insert returned no row');
    const importId = created.id;
    const planned: Record<string, number> = {};
    const odsCodes = new Set<string>();
    const firstLine = new Map<string, number>();
    const repeated = new Map<number, number[]>();
    let rowCount = 0;
    let header = true;
    let chunk: Chunk = [];

    const planAndStage = async (chunk: Chunk) => {
      const valid = chunk.flatMap((c) => (c.row ? [c.row] : []));
      const plans = await planEsrRows(tx, catalogue, valid);
      let next = 0;
      const staged: StagedRow[] = chunk.map((c) => {
        const key = c.fields.employee_number ?? '';
        if (!c.row) {
          return {
            line: c.line,
            key,
            fields: c.fields,
            plan: 'refuse',
            message: `Line ${c.line}: ${c.problems.join('; ')}.`,
            personId: null,
          };
        }
        const plan = plans[next++];
        if (!plan) throw new Error('a planned row is missing');
        // A refused row stays refused: applying never reads it again.
        if (plan.plan === 'refuse') {
          return { line: c.line, key, fields: c.fields, parsed: null, ...refusedOn(c.line, plan) };
        }
        return { line: c.line, key, fields: c.fields, parsed: c.row, ...plan };
      });
      await stageRows(tx, importId, staged);
      countPlans(planned, staged);
    };
    // The database plans and stages a chunk while the next one is read: one chunk in flight.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      await inFlight;
      inFlight = planAndStage(chunk);
      // Awaited before the next chunk, or below: not an unhandled rejection meanwhile.
      inFlight.catch(() => {});
      chunk = [];
    };

    // One instant for the whole file: every row's date of birth is checked against one today.
    const now = ctx.now();
    try {
      for await (const record of readCsv(input.body, { maxBytes: input.maxBytes })) {
        if (header) {
          checkEsrHeader(record.fields);
          header = false;
          continue;
        }
        rowCount++;
        const fields: Record<string, string> = {};
        for (let i = 0; i < esrColumns.length; i++) {
          fields[esrColumns[i] as string] = record.fields[i] ?? '';
        }
        const read = readEsrRow(record.fields, now);
        // A row refused for its fields is told of its unknown codes too, all at once.
        let problems: string[] = read.row
          ? read.problems
          : [...read.problems, ...catalogueProblems(catalogue, esrCodes(record.fields))];
        let row = read.row;
        if (row && catalogue.inScope(row.odsCode)) odsCodes.add(row.odsCode);
        if (row) {
          const first = firstLine.get(row.employeeNumber);
          if (first !== undefined) {
            problems = [
              `the employee number ${row.employeeNumber} is also on line ${first}: one line per employee number`,
            ];
            row = null;
            repeated.set(first, [...(repeated.get(first) ?? []), record.line]);
          } else firstLine.set(row.employeeNumber, record.line);
        }
        chunk.push({ line: record.line, fields, row, problems });
        if (chunk.length >= chunkSize) await flush();
      }
      if (header)
        throw fileProblem('The file is empty: it needs the header line and a staff record a line.');
      await flush();
      await inFlight;
    } catch (error) {
      // A file refused halfway: its transaction ends once the chunk in flight is done.
      await inFlight.catch(() => {});
      throw error;
    }
    if (!rowCount) throw fileProblem('The file has a header but no staff records below it.');

    // The first line of each repeated employee number is refused too: which is right is for
    // a person to say.
    for (const [line, others] of repeated) {
      const where = and(eq(importRows.importId, importId), eq(importRows.line, line));
      const [old] = await tx.db.select({ plan: importRows.plan }).from(importRows).where(where);
      await tx.db
        .update(importRows)
        .set({
          plan: 'refuse',
          personId: null,
          parsed: null,
          message: `Line ${line}: the employee number is also on line${others.length > 1 ? 's' : ''} ${others.join(', ')}: one line per employee number.`,
        })
        .where(where);
      const was = old?.plan;
      if (was && was !== 'refuse') {
        planned[was] = (planned[was] ?? 1) - 1;
        if (!planned[was]) delete planned[was];
        planned.refuse = (planned.refuse ?? 0) + 1;
      }
    }
    await tx.db
      .update(imports)
      .set({ rowCount, planned, odsCodes: [...odsCodes].sort() })
      .where(eq(imports.id, importId));
    await recordAuditEvent(tx, {
      action: 'import.checked',
      subjectType: 'import',
      subjectId: importId,
      summary: { kind: 'esr', fileName: input.fileName, rows: rowCount, planned },
    });
    return viewImport(tx, importId);
  });
}
