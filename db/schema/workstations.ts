import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.ts';
import { organisations } from './organisations.ts';

export const workstationStatuses = ['awaiting_enrolment', 'enrolled', 'revoked'] as const;

/**
 * A PC that runs the reader agent. Registering it gives a one-time enrolment code; the
 * agent trades the code for its own credential. Only SHA-256 hashes of both are kept.
 */
export const workstations = pgTable(
  'workstations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    odsCode: text('ods_code')
      .notNull()
      .references(() => organisations.odsCode),
    name: text('name').notNull(),
    location: text('location'),
    status: text('status', { enum: workstationStatuses }).notNull(),
    enrolmentCodeHash: text('enrolment_code_hash'),
    enrolmentExpiresAt: timestamp('enrolment_expires_at', { withTimezone: true }),
    /** Set when the code was used: a second use is told apart (in the audit trail) from a forgery. */
    enrolmentCodeUsedAt: timestamp('enrolment_code_used_at', { withTimezone: true }),
    credentialHash: text('credential_hash'),
    enrolledAt: timestamp('enrolled_at', { withTimezone: true }),
    hostname: text('hostname'),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => accounts.id),
  },
  (t) => [
    uniqueIndex('workstations_name_uq').on(t.odsCode, sql`lower(${t.name})`),
    uniqueIndex('workstations_code_uq').on(t.enrolmentCodeHash),
    uniqueIndex('workstations_credential_uq').on(t.credentialHash),
    check(
      'workstations_status_ck',
      sql`${t.status} in ('awaiting_enrolment', 'enrolled', 'revoked')`,
    ),
  ],
);

export const observationKinds = ['card_inserted', 'card_removed', 'card_unreadable'] as const;

/**
 * Every observation an agent delivered, once: the idempotency key is unique per
 * workstation, so a resend finds the first. Append-only by use.
 */
export const cardObservations = pgTable(
  'card_observations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workstationId: uuid('workstation_id')
      .notNull()
      .references(() => workstations.id),
    idempotencyKey: uuid('idempotency_key').notNull(),
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    kind: text('kind', { enum: observationKinds }).notNull(),
    reader: text('reader').notNull(),
    atr: text('atr'),
    cardSerial: text('card_serial'),
    observedAt: timestamp('observed_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    body: jsonb('body').notNull(),
  },
  (t) => [
    uniqueIndex('card_observations_key_uq').on(t.workstationId, t.idempotencyKey),
    index('card_observations_card_idx').on(t.cardSerial, t.observedAt),
  ],
);
