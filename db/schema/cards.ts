import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { people } from './people.ts';
import { cardObservations, workstations } from './workstations.ts';

export const cardStates = [
  'in_stock',
  'issued_locked',
  'active',
  'blocked',
  'suspended',
  'cancelled',
  'returned',
  'destroyed',
] as const;

/** A card this RA knows, by serial (the CHUID GUID for PIV). Card lifecycle extends it. */
export const cards = pgTable(
  'cards',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    serial: text('serial').notNull(),
    cardType: text('card_type').notNull().default('PIV'),
    atr: text('atr'),
    personId: uuid('person_id').references(() => people.id),
    state: text('state', { enum: cardStates }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('cards_serial_uq').on(t.serial),
    index('cards_person_idx').on(t.personId),
    check(
      'cards_state_ck',
      sql`${t.state} in ('in_stock', 'issued_locked', 'active', 'blocked', 'suspended', 'cancelled', 'returned', 'destroyed')`,
    ),
  ],
);

/** Certificates this RA's CA issued, by SHA-256 fingerprint. The CA fills it. */
export const certificates = pgTable(
  'certificates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    cardId: uuid('card_id').references(() => cards.id),
    personId: uuid('person_id').references(() => people.id),
    slot: text('slot'),
    serialNumber: text('serial_number').notNull(),
    subject: text('subject').notNull(),
    issuer: text('issuer').notNull(),
    sha256: text('sha256').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revocationReason: text('revocation_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('certificates_sha256_uq').on(t.sha256),
    index('certificates_card_idx').on(t.cardId),
    index('certificates_not_after_idx').on(t.notAfter),
  ],
);

/** The latest observation of each card seen in a reader: what the flags are judged on. */
export const cardSightings = pgTable('card_sightings', {
  cardSerial: text('card_serial').primaryKey(),
  observationId: bigint('observation_id', { mode: 'number' })
    .notNull()
    .references(() => cardObservations.id),
  workstationId: uuid('workstation_id')
    .notNull()
    .references(() => workstations.id),
  observedAt: timestamp('observed_at', { withTimezone: true }).notNull(),
});

export const flagKinds = [
  'unknown_card',
  'foreign_certificate',
  'certificate_expired',
  'certificate_expiring',
  'pin_blocked',
  'pin_last_try',
] as const;
export type FlagKind = (typeof flagKinds)[number];

/**
 * Something wrong with a card, seen by an agent. At most one open flag per card, kind and
 * certificate; a later sighting without the condition resolves it.
 */
export const cardFlags = pgTable(
  'card_flags',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    cardSerial: text('card_serial').notNull(),
    kind: text('kind', { enum: flagKinds }).notNull(),
    /** The certificate it is about ('' for flags about the card). */
    certificateSha256: text('certificate_sha256').notNull().default(''),
    /** The holder, from the card's record or the certificate's UPN; null when unknown. */
    personId: uuid('person_id').references(() => people.id),
    details: jsonb('details').notNull(),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    workstationId: uuid('workstation_id')
      .notNull()
      .references(() => workstations.id),
  },
  (t) => [
    uniqueIndex('card_flags_open_uq')
      .on(t.cardSerial, t.kind, t.certificateSha256)
      .where(sql`${t.resolvedAt} is null`),
    index('card_flags_list_idx').on(t.resolvedAt, t.raisedAt),
    index('card_flags_person_idx').on(t.personId),
  ],
);
