import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { assignments } from '../../../db/schema/access.ts';
import { cardFlags } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import { type AuditEventInput, recordAuditEvent } from '../audit/record-audit-event.ts';
import { type TxContext, withTransaction } from '../context.ts';
import { displayDate } from '../dates.ts';
import { nameKeys } from '../people/name-keys.ts';
import { newUserId } from '../people/user-id.ts';
import { type EsrRow, esrColumns, readEsrRow } from './esr-rows.ts';
import { pgArray } from './pg-array.ts';
import { planEsrRows, type RowPlan, readEsrCatalogue, refusedOn } from './plan-esr-rows.ts';

/** A row of the batch as staged by the dry run. */
export interface PendingRow {
  line: number;
  /** The fields as read: only read again for an ESR row staged without `parsed`. */
  fields?: Record<string, string> | null;
  /** The row as the dry run read and checked it (`import_rows.parsed`). */
  parsed?: Record<string, string | null> | null;
  plan: string;
  message: string;
}

/** What applying a row did. */
export interface RowOutcome {
  line: number;
  outcome: 'created' | 'changed' | 'left' | 'unchanged' | 'refused' | 'cancelled';
  message: string;
  personId: string | null;
  /** Written to its import row already (by the statement that created the person). */
  written?: boolean;
}

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

/**
 * Applies a batch of ESR rows, planned again against the records as they are now (the dry
 * run may be hours old): new people in one statement, each change and each leaver on its
 * own, audited on the person as any change of theirs is. A row refused by the dry run
 * stays refused. The rows are not read and checked again: the dry run kept each as it
 * read it (`parsed`).
 */
export async function applyEsrRows(
  tx: TxContext,
  importId: string,
  pending: PendingRow[],
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  const live: { line: number; row: EsrRow; message: string }[] = [];
  const unparsed: { line: number; row: EsrRow }[] = [];
  for (const p of pending) {
    if (p.plan === 'refuse') {
      outcomes.push({ line: p.line, outcome: 'refused', message: p.message, personId: null });
      continue;
    }
    let row = p.parsed as EsrRow | null | undefined;
    if (!row) {
      // Staged before the dry run kept the row as read: read it again, and keep it so.
      const read = readEsrRow(
        esrColumns.map((c) => p.fields?.[c] ?? ''),
        tx.now(),
      );
      if (!read.row) {
        outcomes.push({ line: p.line, outcome: 'refused', message: p.message, personId: null });
        continue;
      }
      row = read.row;
      unparsed.push({ line: p.line, row });
    }
    live.push({ line: p.line, row, message: p.message });
  }
  if (unparsed.length) {
    await tx.db.execute(sql`
      update import_rows r set parsed = v.parsed
        from jsonb_to_recordset(${JSON.stringify(unparsed.map((u) => ({ line: u.line, parsed: u.row })))}::jsonb)
             as v(line int, parsed jsonb)
       where r.import_id = ${importId} and r.line = v.line`);
  }
  const catalogue = await readEsrCatalogue(tx);
  const plans = await planEsrRows(
    tx,
    catalogue,
    live.map((l) => l.row),
  );
  // The batch changes many people in one transaction, row by row. An RA's own change of a
  // person's access takes its locks in one order: the person's row (FOR SHARE to assign, as
  // assign-position.ts does; an edit or closing updates it), the assignment being ended
  // (remove-assignment.ts, FOR UPDATE), the positions concerned, the person's access
  // signature (by the triggers of db/migrations/0023), and the audit chain's last
  // (recordAuditEvent). Were the batch to take the chain's lock at its first row and a later
  // person's locks after, an RA approving or removing a position of that person meanwhile
  // (holding their row, assignment or signature, waiting for the chain) and the batch
  // (holding the chain, waiting for them) were a deadlock, and one of them failed (the RA's
  // request with a 500). So the batch takes the same locks in the same order: every person,
  // assignment, position and signature it will touch first, each sorted, and the chain's
  // last, its audit events recorded once every row is applied.
  const touching = plans.filter(
    (p): p is RowPlan & { personId: string; work: NonNullable<RowPlan['work']> } =>
      (p.plan === 'change' || p.plan === 'leave') && !!p.personId && !!p.work,
  );
  const touchedPeople = [...new Set(touching.map((p) => p.personId))].sort();
  if (touchedPeople.length) {
    const positionIds = touching.flatMap((p) => (p.work.position ? [p.work.position.id] : []));
    const endingIds = touching.flatMap((p) => [
      ...p.work.endAssignments.map((a) => a.id),
      ...(p.work.setEndDate ? [p.work.setEndDate.id] : []),
    ]);
    await tx.db.execute(sql`
      select 1 from people where id = any(${pgArray(touchedPeople)}::uuid[])
       order by id for no key update`);
    await tx.db.execute(sql`
      select 1 from assignments where id = any(${pgArray(endingIds)}::uuid[])
       order by id for update`);
    await tx.db.execute(sql`
      select 1 from positions
       where id = any(${pgArray(positionIds)}::uuid[])
          or id in (select position_id from assignments where id = any(${pgArray(endingIds)}::uuid[]))
       order by id for share`);
    await tx.db.execute(sql`
      insert into person_access_signatures (person_id, signature)
        select id, '{}'::text[] from unnest(${pgArray(touchedPeople)}::uuid[]) as c(id) order by id
        on conflict do nothing`);
    await tx.db.execute(sql`
      select 1 from person_access_signatures where person_id = any(${pgArray(touchedPeople)}::uuid[])
       order by person_id for update`);
  }
  const audit: AuditEventInput[] = [];
  const creates: Create[] = [];
  for (const [i, { line, row, message }] of live.entries()) {
    const plan = plans[i];
    if (!plan) throw new Error('a planned row is missing');
    switch (plan.plan) {
      case 'create':
        creates.push({ line, row, plan, staged: message });
        break;
      case 'change':
        outcomes.push(await applyChange(tx, importId, line, row, plan, audit));
        break;
      case 'leave':
        outcomes.push(await applyLeave(tx, importId, line, row, plan, audit));
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
        outcomes.push({
          line,
          outcome: 'refused',
          message: refusedOn(line, plan).message,
          personId: plan.personId,
        });
    }
  }
  outcomes.push(...(await applyCreates(tx, importId, creates)));
  for (const event of audit) await recordAuditEvent(tx, event);
  return outcomes;
}

/** The SQLSTATE of a database error, however the driver and drizzle wrap it. */
function databaseErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A row to create a person from, with the message the dry run staged for it. */
interface Create {
  line: number;
  row: EsrRow;
  plan: RowPlan;
  staged: string;
}

/** `count` user IDs, none twice. */
function userIds(count: number): string[] {
  const made = new Set<string>();
  while (made.size < count) made.add(newUserId());
  return [...made];
}

/**
 * New people, pending their identity check, in ONE statement per try, from the rows as the
 * dry run kept them (`import_rows.parsed`: nothing travels back in but the lines, new user
 * IDs and any message changed since): the people, their organisations and the rows'
 * outcomes written together. A random user ID that clashes (rare) is tried again with
 * another for that row alone.
 */
async function applyCreates(
  tx: TxContext,
  importId: string,
  creates: Create[],
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  const now = tx.now().toISOString();
  let left = creates;
  for (let attempt = 0; left.length && attempt < 5; attempt++) {
    const ids = userIds(left.length);
    // The batch's lines, as a range too: however few rows the planner believes the import
    // has (a fresh one's statistics), it never reads beyond them.
    const first = left.reduce((m, c) => Math.min(m, c.line), Number.POSITIVE_INFINITY);
    const last = left.reduce((m, c) => Math.max(m, c.line), 0);
    const statement = (skipClashes: boolean) => sql`
        with v as (
          select u.line, u.user_id, coalesce(u.message, r.message) as message, r.parsed as p
            from unnest(${pgArray(left.map((c) => c.line))}::int[], ${pgArray(ids)}::text[],
                        ${pgArray(left.map((c) => (c.plan.message === c.staged ? null : c.plan.message)))}::text[])
                 as u(line, user_id, message)
            join import_rows r on r.import_id = ${importId}::uuid and r.line = u.line
                                and r.line between ${first} and ${last}
        ), made as (
          insert into people (user_id, given_name, family_name, date_of_birth, email,
                              employee_number, given_key, family_key, family_given_key,
                              given_family_key, org_codes, created_at, created_by, updated_at)
          select v.user_id, v.p->>'givenName', v.p->>'familyName', (v.p->>'dateOfBirth')::date,
                 v.p->>'email', v.p->>'employeeNumber', v.p->>'givenKey', v.p->>'familyKey',
                 (v.p->>'familyKey') || ' ' || (v.p->>'givenKey'),
                 (v.p->>'givenKey') || ' ' || (v.p->>'familyKey'),
                 array[v.p->>'odsCode'],
                 ${now}::timestamptz, ${tx.actor?.accountId ?? null}::uuid, ${now}::timestamptz
            from v
          ${skipClashes ? sql`on conflict do nothing` : sql``}
          returning id, user_id
        ), placed as (
          select v.line, v.message, made.id, v.p->>'odsCode' as ods_code
            from made join v on v.user_id = made.user_id
        ), organisations as (
          insert into person_organisations (person_id, ods_code)
          select placed.id, placed.ods_code from placed
        ), outcomes as (
          update import_rows r
             set outcome = 'created', outcome_message = placed.message, person_id = placed.id
            from placed
           where r.import_id = ${importId}::uuid and r.line = placed.line
             and r.line between ${first} and ${last}
        )
        select line, id from placed`;
    let placed: { line: number; id: string }[] | undefined;
    if (attempt === 0) {
      // A plain INSERT first, in a savepoint: `on conflict do nothing` checks every row
      // speculatively (a fifth of the insert's cost), for a clash that is rare.
      try {
        placed = await withTransaction(tx, async (sp) =>
          rowsOf<{ line: number; id: string }>(await sp.db.execute(statement(false))),
        );
      } catch (error) {
        if (databaseErrorCode(error) !== '23505') throw error;
      }
    }
    placed ??= rowsOf<{ line: number; id: string }>(await tx.db.execute(statement(true)));
    const made = new Map(placed.map((p) => [p.line, p.id]));
    for (const c of left) {
      const personId = made.get(c.line);
      if (personId) {
        outcomes.push({
          line: c.line,
          outcome: 'created',
          message: c.plan.message,
          personId,
          written: true,
        });
      }
    }
    // Not placed: a user ID clash, or the employee number taken since the batch was planned.
    const missing = left.filter((c) => !made.has(c.line));
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
    for (const c of missing) {
      if (taken.has(c.row.employeeNumber)) {
        outcomes.push({
          line: c.line,
          outcome: 'unchanged',
          message: `Employee number ${c.row.employeeNumber} was put on record while this import ran: import the file again to bring it up to date.`,
          personId: null,
        });
      }
    }
    left = missing.filter((c) => !taken.has(c.row.employeeNumber));
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
  audit: AuditEventInput[],
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
  audit.push({
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
  audit: AuditEventInput[],
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
    audit.push({
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
      audit.push({
        action: 'card.flag_raised',
        subjectType: 'card',
        subjectId: serial,
        summary: { kind: 'return_due', certificateSha256: null, personId, importId },
      });
    }
  }
  return { line, outcome: 'left', message: plan.message, personId };
}
