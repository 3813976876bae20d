import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.ts';
import { organisations, workgroups } from './organisations.ts';
import { people } from './people.ts';

/** National RBAC job roles (R-codes). Seeded by migration from DOMAIN.md's list. */
export const jobRoles = pgTable('job_roles', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
});

/** National RBAC activities (B-codes). */
export const activities = pgTable('activities', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
});

export const clinicalSystems = ['systmone', 'ers', 'pacs', 'sus', 'esr'] as const;
export type ClinicalSystem = (typeof clinicalSystems)[number];

/** An access profile of one organisation: job roles, activities, workgroups and systems. */
export const positions = pgTable(
  'positions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    odsCode: text('ods_code')
      .notNull()
      .references(() => organisations.odsCode),
    name: text('name').notNull(),
    systems: text('systems').array().notNull().default(sql`'{}'::text[]`),
    /** Sponsors of the organisation may assign it directly, without a request. */
    assignable: boolean('assignable').notNull().default(false),
    status: text('status', { enum: ['active', 'closed'] })
      .notNull()
      .default('active'),
    closedReason: text('closed_reason'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    closedBy: uuid('closed_by').references(() => accounts.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => accounts.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('positions_ods_idx').on(t.odsCode, t.status),
    // The positions list's order and keyset (organisation, name, id).
    index('positions_list_idx').on(t.odsCode, t.name, t.id),
    uniqueIndex('positions_name_uq')
      .on(t.odsCode, sql`lower(${t.name})`)
      .where(sql`${t.status} = 'active'`),
    check('positions_status_ck', sql`${t.status} in ('active', 'closed')`),
    check('positions_closed_ck', sql`(${t.status} = 'closed') = (${t.closedAt} is not null)`),
  ],
);

export const positionJobRoles = pgTable(
  'position_job_roles',
  {
    positionId: uuid('position_id')
      .notNull()
      .references(() => positions.id),
    code: text('code')
      .notNull()
      .references(() => jobRoles.code),
  },
  (t) => [primaryKey({ columns: [t.positionId, t.code] })],
);

export const positionActivities = pgTable(
  'position_activities',
  {
    positionId: uuid('position_id')
      .notNull()
      .references(() => positions.id),
    code: text('code')
      .notNull()
      .references(() => activities.code),
  },
  (t) => [primaryKey({ columns: [t.positionId, t.code] })],
);

export const positionWorkgroups = pgTable(
  'position_workgroups',
  {
    positionId: uuid('position_id')
      .notNull()
      .references(() => positions.id),
    workgroupId: uuid('workgroup_id')
      .notNull()
      .references(() => workgroups.id),
  },
  (t) => [primaryKey({ columns: [t.positionId, t.workgroupId] })],
);

export const assignmentEndReasons = [
  'removed',
  'position_closed',
  'person_closed',
  'expired',
] as const;

/**
 * A person holding a position from `startDate` to an optional `endDate`. Ended rows stay,
 * with how and when they ended; an assignment past its end date counts as ended (expired)
 * even before anything marks it.
 */
export const assignments = pgTable(
  'assignments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    positionId: uuid('position_id')
      .notNull()
      .references(() => positions.id),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    endDate: date('end_date', { mode: 'string' }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endReason: text('end_reason', { enum: assignmentEndReasons }),
    endNote: text('end_note'),
    endedBy: uuid('ended_by').references(() => accounts.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => accounts.id),
    requestId: uuid('request_id'),
  },
  (t) => [
    index('assignments_person_idx').on(t.personId),
    index('assignments_position_idx').on(t.positionId),
    // Access to each clinical system (the report): an organisation's positions' assignments
    // still held, read from the index alone.
    index('assignments_held_idx')
      .on(t.positionId, t.personId, t.startDate, t.endDate)
      .where(sql`${t.endedAt} is null`),
    // Positions ending soon (the report): a range of end dates among assignments still held.
    // With their position and person, so that the access report finds those past their end
    // date (the position-expiry job ends them daily) from the index alone.
    index('assignments_ending_idx')
      .on(t.endDate, t.positionId, t.personId)
      .where(sql`${t.endedAt} is null and ${t.endDate} is not null`),
    // Assignments not yet started (the access report corrects its kept counts for them).
    index('assignments_starting_idx')
      .on(t.startDate, t.positionId, t.personId)
      .where(sql`${t.endedAt} is null`),
    // One open assignment of a position per person: the last guard against a double
    // approval that slipped past the request's row lock.
    uniqueIndex('assignments_open_uq')
      .on(t.personId, t.positionId)
      .where(sql`${t.endedAt} is null`),
    check('assignments_dates_ck', sql`${t.endDate} is null or ${t.endDate} >= ${t.startDate}`),
  ],
);

export const requestKinds = ['assign', 'remove'] as const;
export const requestStatuses = ['open', 'approved', 'rejected', 'withdrawn'] as const;

/** A request to assign a position to a person, or to remove one, and its decision. */
export const accessRequests = pgTable(
  'access_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: requestKinds }).notNull(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    positionId: uuid('position_id')
      .notNull()
      .references(() => positions.id),
    /** The position's organisation, kept here so an inbox is one indexed scan. */
    odsCode: text('ods_code')
      .notNull()
      .references(() => organisations.odsCode),
    assignmentId: uuid('assignment_id').references(() => assignments.id),
    startDate: date('start_date', { mode: 'string' }),
    endDate: date('end_date', { mode: 'string' }),
    note: text('note'),
    status: text('status', { enum: requestStatuses }).notNull().default('open'),
    raisedBy: uuid('raised_by')
      .notNull()
      .references(() => accounts.id),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    claimedBy: uuid('claimed_by').references(() => accounts.id),
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    decidedBy: uuid('decided_by').references(() => accounts.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionReason: text('decision_reason'),
  },
  (t) => [
    index('access_requests_inbox_idx').on(t.odsCode, t.status, t.raisedAt),
    index('access_requests_person_idx').on(t.personId, t.raisedAt),
    index('access_requests_raised_by_idx').on(t.raisedBy, t.raisedAt),
    // The requests report counts a range of months by when they were raised, and decided.
    index('access_requests_raised_idx').on(t.raisedAt),
    index('access_requests_decided_idx').on(t.decidedAt).where(sql`${t.decidedAt} is not null`),
    // The same for an organisation's report: its decisions of the months, with what the
    // median needs, from the index alone.
    index('access_requests_decided_org_idx')
      .on(t.odsCode, t.decidedAt, t.status, t.raisedAt)
      .where(sql`${t.decidedAt} is not null`),
    check('access_requests_kind_ck', sql`${t.kind} in ('assign', 'remove')`),
    check(
      'access_requests_status_ck',
      sql`${t.status} in ('open', 'approved', 'rejected', 'withdrawn')`,
    ),
    check(
      'access_requests_dates_ck',
      sql`${t.endDate} is null or ${t.startDate} is null or ${t.endDate} >= ${t.startDate}`,
    ),
  ],
);

/**
 * Each person's access signature (db/migrations/0023), kept by triggers on `assignments` and
 * `positions`: one '<ODS code>:<mask>' element per organisation where they hold an
 * assignment not ended (dates aside) of an active position that opens a clinical system,
 * the mask the OR of those positions' systems (bit i for clinicalSystems[i]), sorted. No row,
 * or `{}`, when they hold none. The row is also what the triggers lock, in person id order.
 */
export const personAccessSignatures = pgTable('person_access_signatures', {
  personId: uuid('person_id')
    .primaryKey()
    .references(() => people.id),
  signature: text('signature').array().notNull(),
});

/**
 * How many people have each access signature (db/migrations/0023), as delta rows (+1, -1)
 * written by the triggers that keep `person_access_signatures`, so writers never wait on a
 * count row; the fold-card-counts job folds them, check-card-counts recounts them. The
 * system-access report sums the rows whose `ods_codes` (the signature's organisations) meet
 * the organisations it covers.
 */
export const systemAccessTallies = pgTable(
  'system_access_tallies',
  {
    signature: text('signature').array().notNull(),
    odsCodes: text('ods_codes').array().notNull(),
    n: integer('n').notNull(),
  },
  (t) => [index('system_access_tallies_ods_idx').using('gin', t.odsCodes)],
);
