import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { assignments } from '../../../db/schema/access.ts';
import { cardFlags } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import type { TxContext } from '../context.ts';
import { displayDate } from '../dates.ts';
import { nameKeys } from '../people/name-keys.ts';
import { newUserId } from '../people/user-id.ts';
import { type EsrRow, esrColumns, readEsrRow } from './esr-rows.ts';
import { planEsrRows, type RowPlan, readEsrCatalogue } from './plan-esr-rows.ts';

/** A row of the batch as staged by the dry run. */
export interface PendingRow {
  line: number;
  fields: Record<string, string>;
  plan: string;
  message: string;
}

/** What applying a row did. */
export interface RowOutcome {
  line: number;
  outcome: 'created' | 'changed' | 'left' | 'unchanged' | 'refused' | 'cancelled';
  message: string;
  personId: string | null;
}

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

/**
 * Applies a batch of ESR rows, planned again against the records as they are now (the dry
 * run may be hours old): new people in one statement, each change and each leaver on its
 * own, audited on the person as any change of theirs is. A row refused by the dry run
 * stays refused.
 */
export async function applyEsrRows(
  tx: TxContext,
  importId: string,
  pending: PendingRow[],
): Promise<RowOutcome[]> {
  const now = tx.now();
  const outcomes: RowOutcome[] = [];
  const live: { line: number; row: EsrRow }[] = [];
  for (const p of pending) {
    const read =
      p.plan === 'refuse'
        ? null
        : readEsrRow(
            esrColumns.map((c) => p.fields[c] ?? ''),
            now,
          );
    if (!read?.row) {
      outcomes.push({ line: p.line, outcome: 'refused', message: p.message, personId: null });
    } else live.push({ line: p.line, row: read.row });
  }
  const catalogue = await readEsrCatalogue(tx);
  const plans = await planEsrRows(
    tx,
    catalogue,
    live.map((l) => l.row),
  );
  const creates: { line: number; row: EsrRow; plan: RowPlan }[] = [];
  for (const [i, { line, row }] of live.entries()) {
    const plan = plans[i];
    if (!plan) throw new Error('a planned row is missing');
    switch (plan.plan) {
      case 'create':
        creates.push({ line, row, plan });
        break;
      case 'change':
        outcomes.push(await applyChange(tx, importId, line, row, plan));
        break;
      case 'leave':
        outcomes.push(await applyLeave(tx, importId, line, row, plan));
        break;
      case 'unchanged':
        outcomes.push({
          line,
          outcome: 'unchanged',
          message: plan.message,
          personId: plan.personId,
        });
        break;
      default:
        outcomes.push({ line, outcome: 'refused', message: plan.message, personId: plan.personId });
    }
  }
  outcomes.push(...(await applyCreates(tx, creates)));
  return outcomes;
}

/**
 * New people, pending their identity check, in one statement per try: a random user ID
 * that clashes (rare) is tried again with another for that row alone.
 */
async function applyCreates(
  tx: TxContext,
  creates: { line: number; row: EsrRow; plan: RowPlan }[],
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  const now = tx.now().toISOString();
  let left = creates;
  for (let attempt = 0; left.length && attempt < 5; attempt++) {
    const values = left.map(({ row }) => ({
      user_id: newUserId(),
      given_name: row.givenName,
      family_name: row.familyName,
      date_of_birth: row.dateOfBirth,
      email: row.email,
      employee_number: row.employeeNumber,
      ...Object.fromEntries(
        Object.entries(nameKeys(row.givenName, row.familyName)).map(([k, v]) => [
          k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
          v,
        ]),
      ),
    }));
    const inserted = rowsOf<{ id: string; employee_number: string }>(
      await tx.db.execute(sql`
        insert into people (user_id, given_name, family_name, date_of_birth, email, employee_number,
                            given_key, family_key, family_given_key, given_family_key,
                            created_at, created_by, updated_at)
        select v.user_id, v.given_name, v.family_name, v.date_of_birth::date, v.email, v.employee_number,
               v.given_key, v.family_key, v.family_given_key, v.given_family_key,
               ${now}::timestamptz, ${tx.actor?.accountId ?? null}::uuid, ${now}::timestamptz
          from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(
               user_id text, given_name text, family_name text, date_of_birth text, email text,
               employee_number text, given_key text, family_key text, family_given_key text,
               given_family_key text)
        on conflict do nothing
        returning id, employee_number`),
    );
    const ids = new Map(inserted.map((r) => [r.employee_number, r.id]));
    const placed = left.filter((c) => ids.has(c.row.employeeNumber));
    if (placed.length) {
      await tx.db.execute(sql`
        insert into person_organisations (person_id, ods_code)
        select v.person_id, v.ods_code
          from jsonb_to_recordset(${JSON.stringify(
            placed.map((c) => ({
              person_id: ids.get(c.row.employeeNumber),
              ods_code: c.row.odsCode,
            })),
          )}::jsonb) as v(person_id uuid, ods_code text)`);
    }
    for (const c of placed) {
      outcomes.push({
        line: c.line,
        outcome: 'created',
        message: c.plan.message,
        personId: ids.get(c.row.employeeNumber) ?? null,
      });
    }
    // Not placed: a user ID clash, or the employee number taken since the batch was planned.
    const missing = left.filter((c) => !ids.has(c.row.employeeNumber));
    if (!missing.length) {
      left = [];
      break;
    }
    const taken = new Set(
      (
        await tx.db
          .select({ n: people.employeeNumber })
          .from(people)
          .where(
            inArray(
              people.employeeNumber,
              missing.map((c) => c.row.employeeNumber),
            ),
          )
      ).map((r) => r.n),
    );
    for (const c of left) {
      if (!ids.has(c.row.employeeNumber) && taken.has(c.row.employeeNumber)) {
        outcomes.push({
          line: c.line,
          outcome: 'unchanged',
          message: `Employee number ${c.row.employeeNumber} was put on record while this import ran: import the file again to bring it up to date.`,
          personId: null,
        });
      }
    }
    left = left.filter((c) => !ids.has(c.row.employeeNumber) && !taken.has(c.row.employeeNumber));
  }
  if (left.length) throw new Error('could not allocate unique user IDs');
  return outcomes;
}

async function applyChange(
  tx: TxContext,
  importId: string,
  line: number,
  row: EsrRow,
  plan: RowPlan,
): Promise<RowOutcome> {
  const work = plan.work;
  const personId = plan.personId;
  if (!work || !personId) throw new Error('a change without its work');
  const now = tx.now();
  const set: Partial<typeof people.$inferInsert> = {};
  if (work.details) {
    Object.assign(set, {
      givenName: row.givenName,
      familyName: row.familyName,
      ...nameKeys(row.givenName, row.familyName),
      ...(row.email !== null ? { email: row.email } : {}),
    });
  }
  if (work.linkNumber) set.employeeNumber = row.employeeNumber;
  if (Object.keys(set).length) {
    await tx.db
      .update(people)
      .set({ ...set, updatedAt: now })
      .where(eq(people.id, personId));
  }
  if (work.addOrganisation) {
    await tx.db.execute(sql`
      insert into person_organisations (person_id, ods_code) values (${personId}, ${row.odsCode})
      on conflict do nothing`);
  }
  if (work.setEndDate) {
    await tx.db
      .update(assignments)
      .set({ endDate: work.setEndDate.endDate })
      .where(eq(assignments.id, work.setEndDate.id));
  }
  if (work.assign && work.position) {
    const today = now.toISOString().slice(0, 10);
    // An assignment past its end date still holds the open-assignment index: mark it ended.
    await tx.db
      .update(assignments)
      .set({ endedAt: now, endReason: 'expired' })
      .where(
        and(
          eq(assignments.personId, personId),
          eq(assignments.positionId, work.position.id),
          isNull(assignments.endedAt),
          lt(assignments.endDate, today),
        ),
      );
    // ISO dates order as text: the later of the two.
    const startDate = [row.startDate, today].sort()[1] ?? today;
    await tx.db.insert(assignments).values({
      personId,
      positionId: work.position.id,
      startDate,
      endDate: row.endDate && row.endDate >= startDate ? row.endDate : null,
      createdAt: now,
      createdBy: tx.actor?.accountId ?? null,
    });
  }
  await recordAuditEvent(tx, {
    action: 'person.updated',
    subjectType: 'person',
    subjectId: personId,
    summary: {
      source: 'esr',
      importId,
      line,
      employeeNumber: row.employeeNumber,
      changes: plan.message,
    },
  });
  return { line, outcome: 'changed', message: plan.message, personId };
}

async function applyLeave(
  tx: TxContext,
  importId: string,
  line: number,
  row: EsrRow,
  plan: RowPlan,
): Promise<RowOutcome> {
  const work = plan.work;
  const personId = plan.personId;
  if (!work || !personId) throw new Error('a leaver without their work');
  const now = tx.now();
  const note = `Left on ${displayDate(row.endDate ?? '')} (ESR import, line ${line})`;
  for (const ending of work.endAssignments) {
    await tx.db
      .update(assignments)
      .set({
        endedAt: now,
        endReason: 'removed',
        endNote: note,
        endedBy: tx.actor?.accountId ?? null,
      })
      .where(and(eq(assignments.id, ending.id), isNull(assignments.endedAt)));
    await recordAuditEvent(tx, {
      action: 'assignment.removed',
      subjectType: 'person',
      subjectId: personId,
      summary: { assignmentId: ending.id, position: ending.name, note, importId },
    });
  }
  for (const serial of work.returnCards) {
    const raised = await tx.db
      .insert(cardFlags)
      .values({
        cardSerial: serial,
        kind: 'return_due',
        personId,
        details: { endDate: row.endDate, importId, line },
        raisedAt: now,
        lastSeenAt: now,
        workstationId: null,
      })
      .onConflictDoNothing()
      .returning({ id: cardFlags.id });
    if (raised.length) {
      await recordAuditEvent(tx, {
        action: 'card.flag_raised',
        subjectType: 'card',
        subjectId: serial,
        summary: { kind: 'return_due', certificateSha256: null, personId, importId },
      });
    }
  }
  return { line, outcome: 'left', message: plan.message, personId };
}
