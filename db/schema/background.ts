import { sql } from 'drizzle-orm';
import {
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.ts';
import { cards } from './cards.ts';
import { people } from './people.ts';

export const jobRunOutcomes = ['running', 'succeeded', 'failed'] as const;
export const jobRunTriggers = ['schedule', 'queue', 'manual'] as const;

/**
 * One run of a background job (server/jobs): which job, which server process, when it
 * started and finished, how it ended, what it counted and, when it failed, why. Written by
 * the job runner around every run, whichever process and queue ran it; RA managers read it.
 * A run left `running` by a process that died stays so: the queue runs the job again.
 */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    job: text('job').notNull(),
    trigger: text('trigger', { enum: jobRunTriggers }).notNull(),
    /** host:pid of the server process that ran it. */
    process: text('process').notNull(),
    /** The queue's job id, when the queue ran it (a retry keeps the id). */
    queueJobId: text('queue_job_id'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    outcome: text('outcome', { enum: jobRunOutcomes }).notNull(),
    /** What the run did, by name: `{ "sent": 3, "suppressed": 1 }`. */
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    error: text('error'),
  },
  (t) => [
    index('job_runs_started_idx').on(t.startedAt, t.id),
    index('job_runs_job_idx').on(t.job, t.startedAt),
    check('job_runs_outcome_ck', sql`${t.outcome} in ('running', 'succeeded', 'failed')`),
  ],
);

export const notificationKinds = ['holder', 'sponsor', 'ra'] as const;
export const notificationStatuses = [
  'pending',
  'sending',
  'sent',
  'failed',
  'abandoned',
  'suppressed',
  'interrupted',
] as const;

/**
 * One message to one person on one day in one capacity (`kind`: about their own cards and
 * positions, as the sponsor of others, or as the RA): a digest of every item due that day.
 * The unique key (recipient, day, kind) is what makes the daily scan idempotent across runs
 * and processes. The row is also the notification's log: its status, attempts, last error,
 * or why it was suppressed.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** `person:<uuid>` or `account:<uuid>` (an RA or sponsor account with no person record). */
    recipientKey: text('recipient_key').notNull(),
    recipientPersonId: uuid('recipient_person_id').references(() => people.id),
    recipientAccountId: uuid('recipient_account_id').references(() => accounts.id),
    day: date('day', { mode: 'string' }).notNull(),
    kind: text('kind', { enum: notificationKinds }).notNull(),
    /** The address it goes to, as it was when the digest was made; null: none on record. */
    toAddress: text('to_address'),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    /** The iCalendar reminder attached, when the digest holds an expiry. */
    ics: text('ics'),
    status: text('status', { enum: notificationStatuses }).notNull(),
    /** Why it was not sent (no address; renewed before it went). */
    suppressedReason: text('suppressed_reason'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastError: text('last_error'),
    /** When a process took it to send: one stuck here names a process that died mid-send. */
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('notifications_recipient_day_kind_uq').on(t.recipientKey, t.day, t.kind),
    index('notifications_person_idx').on(t.recipientPersonId, t.createdAt),
    // The sender's sweep: only the rows still to send.
    index('notifications_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'failed')`),
    check(
      'notifications_status_ck',
      sql.raw(`status in (${notificationStatuses.map((s) => `'${s}'`).join(', ')})`),
    ),
  ],
);

export const notificationItemKinds = [
  'certificate_expiry',
  'pin_blocked',
  'position_ending',
] as const;

/**
 * One thing a notification told its recipient of: a card's certificates at a milestone
 * (90, 60, 30, 7 days, 0 on expiry), a blocked PIN, a position ending. Unique per recipient
 * and item key, so each milestone is told once, whichever day's digest carried it.
 */
export const notificationItems = pgTable(
  'notification_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    notificationId: uuid('notification_id')
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    recipientKey: text('recipient_key').notNull(),
    kind: text('notification_kind', { enum: notificationKinds }).notNull(),
    /** e.g. `expiry:<card>:<expires date>:30`: the milestone or event, told once. */
    itemKey: text('item_key').notNull(),
    itemKind: text('item_kind', { enum: notificationItemKinds }).notNull(),
    /** The person it is about (the holder), whoever it was sent to. */
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    cardId: uuid('card_id').references(() => cards.id),
    /** The card's expiry the item was about: a renewal moves the card's, and the item lapses. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    milestone: integer('milestone'),
    summary: text('summary').notNull(),
  },
  (t) => [
    uniqueIndex('notification_items_uq').on(t.recipientKey, t.kind, t.itemKey),
    index('notification_items_person_idx').on(t.personId),
    index('notification_items_notification_idx').on(t.notificationId),
  ],
);
