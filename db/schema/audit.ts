import {
  bigint,
  bigserial,
  index,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * The append-only audit trail. Each row's `hash` covers its content and the previous row's
 * hash, so an edit or a deletion breaks the chain; a trigger (migration 0001) refuses
 * UPDATE, DELETE and TRUNCATE. `hash_version` 1 is the early plain SHA-256 chain; 2 is
 * HMAC-SHA-256 with a key kept outside the database, so nobody without the key can
 * recompute the chain after an edit.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    actorAccountId: uuid('actor_account_id'),
    actorUsername: text('actor_username'),
    /** The workstation whose reader agent caused the event (version 2 rows only). */
    actorWorkstationId: uuid('actor_workstation_id'),
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id'),
    summary: jsonb('summary').$type<Record<string, unknown>>().notNull(),
    requestId: text('request_id'),
    address: text('address'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    hashVersion: smallint('hash_version').notNull(),
  },
  (t) => [
    index('audit_events_subject_idx').on(t.subjectType, t.subjectId, t.id),
    index('audit_events_actor_idx').on(t.actorAccountId, t.id),
    index('audit_events_action_idx').on(t.action, t.id),
    index('audit_events_occurred_idx').on(t.occurredAt),
  ],
);

/**
 * Signed statements of how far the trail reached: (event count, newest event id, its
 * hash, time), signed with the audit key's Ed25519 key. Append-only like the trail; also
 * published in the log and at GET /api/audit/checkpoint for monitors to keep.
 */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  eventCount: bigint('event_count', { mode: 'number' }).notNull(),
  /** 0 when the trail was empty. */
  lastEventId: bigint('last_event_id', { mode: 'number' }).notNull(),
  lastHash: text('last_hash').notNull(),
  keyId: text('key_id').notNull(),
  signature: text('signature').notNull(),
});

export type VerificationStatus = 'running' | 'intact' | 'broken' | 'failed';

/**
 * Full verifications of the trail run in the background; their progress lives here so any
 * server process can answer for it.
 */
export const auditVerifications = pgTable('audit_verifications', {
  id: uuid('id').primaryKey().defaultRandom(),
  status: text('status').$type<VerificationStatus>().notNull(),
  requestedBy: uuid('requested_by'),
  startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
  total: bigint('total', { mode: 'number' }).notNull(),
  checked: bigint('checked', { mode: 'number' }).notNull(),
  legacyEvents: bigint('legacy_events', { mode: 'number' }).notNull().default(0),
  firstBrokenId: bigint('first_broken_id', { mode: 'number' }),
  problem: text('problem'),
});
