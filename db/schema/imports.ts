import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.ts';
import { people } from './people.ts';

/** What a bulk import does: staff records from ESR, or cards to cancel by serial. */
export const importKinds = ['esr', 'card_cancellation'] as const;
export type ImportKind = (typeof importKinds)[number];

/**
 * `checked`: the dry run is done and nothing is applied; `applying`: batches are being
 * applied (a run killed halfway stays here, and applying again finishes it); `applied`.
 */
export const importStatuses = ['checked', 'applying', 'applied'] as const;
export type ImportStatus = (typeof importStatuses)[number];

/**
 * One upload and its dry run, then its application in batches. The counters are what the
 * progress bar reads: `done` of `rowCount` rows have an outcome.
 */
export const imports = pgTable(
  'imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: importKinds }).notNull(),
    fileName: text('file_name').notNull(),
    status: text('status', { enum: importStatuses }).notNull().default('checked'),
    /** For a card cancellation: the reason every card is cancelled with (a CardReason). */
    reason: text('reason'),
    /**
     * The organisations its rows name that its maker may import for: who else may see it
     * (holders of the permission in one of them), as its rows hold those staff's details.
     */
    odsCodes: text('ods_codes').array().notNull().default(sql`'{}'::text[]`),
    rowCount: integer('row_count').notNull(),
    /** The dry run's plan, counted: { create, change, leave, unchanged, refuse, cancel }. */
    planned: jsonb('planned').$type<Record<string, number>>().notNull(),
    /** Rows with an outcome so far. */
    done: integer('done').notNull().default(0),
    /**
     * The last line applied: batches go in line order, so the next one starts after it (a
     * keyset, where "rows without an outcome" would walk every row already applied).
     */
    appliedThroughLine: integer('applied_through_line').notNull().default(0),
    /** Outcomes so far, counted: { created, changed, left, unchanged, refused, cancelled }. */
    outcomes: jsonb('outcomes').$type<Record<string, number>>().notNull().default({}),
    createdBy: uuid('created_by').references(() => accounts.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    appliedBy: uuid('applied_by').references(() => accounts.id),
    applyStartedAt: timestamp('apply_started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('imports_created_idx').on(t.kind, t.createdAt),
    check('imports_kind_ck', sql`${t.kind} in ('esr', 'card_cancellation')`),
    check('imports_status_ck', sql`${t.status} in ('checked', 'applying', 'applied')`),
  ],
);

export const importPlans = ['create', 'change', 'leave', 'unchanged', 'refuse', 'cancel'] as const;
export type ImportPlan = (typeof importPlans)[number];

/**
 * One line of an import: its fields as read, the dry run's plan for it and why, and once
 * applied, what was done. A row with an outcome is never applied again, so a run killed
 * halfway picks up at the first row without one.
 */
export const importRows = pgTable(
  'import_rows',
  {
    importId: uuid('import_id')
      .notNull()
      .references(() => imports.id),
    /** The line of the file (the header is line 1). */
    line: integer('line').notNull(),
    /** The employee number, or the card's serial. */
    key: text('key').notNull(),
    fields: jsonb('fields').$type<Record<string, string>>().notNull(),
    /**
     * The row as the dry run read and checked it (an ESR row: trimmed, dates ISO, codes in
     * upper case, name keys made): what applying it plans from and writes, without reading
     * and checking the fields again. Null for a refused row (it stays refused), and for a card.
     */
    parsed: jsonb('parsed').$type<Record<string, string | null>>(),
    plan: text('plan', { enum: importPlans }).notNull(),
    /** What would change, or why the row is refused, in words. */
    message: text('message').notNull(),
    /** The person the row matched (or, once applied, created). */
    personId: uuid('person_id').references(() => people.id),
    outcome: text('outcome'),
    outcomeMessage: text('outcome_message'),
  },
  (t) => [primaryKey({ columns: [t.importId, t.line] })],
);
