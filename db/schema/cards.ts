import { type SQLWrapper, sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  customType,
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
import { cardJobs } from './card-jobs.ts';
import { organisations } from './organisations.ts';
import { people } from './people.ts';
import { certificateAuthorities } from './pki.ts';
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

/** DER bytes, kept as PostgreSQL bytea. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
  toDriver: (value) => value,
});

/** Where blank and returned cards are kept: a named place of one organisation. */
export const cardLocations = pgTable(
  'card_locations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    odsCode: text('ods_code')
      .notNull()
      .references(() => organisations.odsCode),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('card_locations_name_uq').on(t.odsCode, t.name)],
);

/**
 * A card this RA knows, by serial (the CHUID GUID for PIV). Its state changes only through
 * the lifecycle table (server/services/cards/card-lifecycle.ts), audited in the same
 * transaction; the audit trail is its history.
 */
export const cards = pgTable(
  'cards',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    serial: text('serial').notNull(),
    cardType: text('card_type').notNull().default('PIV'),
    atr: text('atr'),
    personId: uuid('person_id').references(() => people.id),
    state: text('state', { enum: cardStates }).notNull(),
    /** Why the card is in its state (a CardReason such as 'lost'), when the move needed one. */
    stateReason: text('state_reason'),
    stateChangedAt: timestamp('state_changed_at', { withTimezone: true }),
    /** Where the card is kept while in stock or returned (and where it was issued from). */
    locationId: uuid('location_id').references(() => cardLocations.id),
    /**
     * The card's management key as it came from the manufacturer (or the import file),
     * sealed under the CA key passphrase and bound to the serial (pki/ca/secret-box.ts, via
     * server/services/stock/transport-key.ts); never returned by any route. Null for cards
     * known only from a reader.
     */
    encryptedTransportKey: text('encrypted_transport_key'),
    /**
     * The earliest notAfter of the card's certificates that are not revoked for good, kept by
     * the CA's issue and revoke verbs: the dashboard's expiry buckets count this column
     * through an index, never joining every certificate.
     */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /**
     * Which management key the card holds (docs/card-jobs.md): `transport` (the stock key
     * above), `derived` (its own, derived from the master secret and the serial, never
     * stored) or `changing` (a change was sent and not confirmed: either). Null: unknown.
     */
    managementKey: text('management_key', { enum: ['transport', 'derived', 'changing'] }),
    /** The management key's algorithm on the card: tdes (PIV's default) or aes128/192/256. */
    managementAlgorithm: text('management_algorithm').notNull().default('tdes'),
    /** The card's unblock key (PUK), random per card, sealed under the master secret. */
    encryptedPuk: text('encrypted_puk'),
    /** A new PUK a job is setting, until the card confirmed it (then it becomes the PUK). */
    encryptedPendingPuk: text('encrypted_pending_puk'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    /**
     * The holder's organisations (sorted ODS codes), kept by triggers as the card changes
     * hands and as the holder's links change (db/migrations/0016); null with no holder. A
     * trust's cards are found by this (cards_holder_ods_idx) rather than holder by holder.
     */
    holderOds: text('holder_ods').array(),
  },
  (t) => [
    uniqueIndex('cards_serial_uq').on(t.serial),
    index('cards_holder_ods_idx').using('gin', t.holderOds),
    // Cards in use by expiry, with their holder's organisations: the dashboard counts a
    // trust's cards expiring today off this index alone (no card row read).
    index('cards_in_use_expiry_holder_idx')
      .on(t.expiresAt, t.holderOds)
      .where(sql`${t.state} in ('issued_locked', 'active', 'blocked', 'suspended')`),
    // Serials are matched in any case (people search, card lookup, stock import).
    uniqueIndex('cards_serial_lower_uq').on(sql`lower(${t.serial})`),
    index('cards_person_idx').on(t.personId),
    // The reports of an organisation's cards (by state and type, expiring by week) read the
    // cards of its people from this index alone, never the table (an index-only scan).
    index('cards_holder_report_idx').on(t.personId, t.state, t.cardType, t.expiresAt),
    index('cards_state_idx').on(t.state, t.expiresAt),
    index('cards_location_idx').on(t.locationId, t.state),
    // Cards with no holder (stock, returned, destroyed) by location: the dashboard counts a
    // trust's stock from here, not from the 1.2 million held cards.
    index('cards_kept_idx')
      .on(t.locationId, t.state, t.expiresAt)
      .where(sql`${t.personId} is null`),
    index('cards_expires_idx').on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
    check(
      'cards_management_key_ck',
      sql`${t.managementKey} in ('transport', 'derived', 'changing')`,
    ),
    check(
      'cards_state_ck',
      sql`${t.state} in ('in_stock', 'issued_locked', 'active', 'blocked', 'suspended', 'cancelled', 'returned', 'destroyed')`,
    ),
  ],
);

export const revocationReasons = [
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
] as const;

/**
 * Certificates this RA's CA issued, by SHA-256 fingerprint. The CA's issue verb fills it;
 * its revoke verb sets revoked_at and the RFC 5280 reason (certificateHold is undone by
 * clearing both), in the same transaction as the CRL that lists it.
 */
export const certificates = pgTable(
  'certificates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    cardId: uuid('card_id').references(() => cards.id),
    personId: uuid('person_id').references(() => people.id),
    /** The CA that signed it; null only for rows written before the CA existed. */
    caId: uuid('ca_id').references(() => certificateAuthorities.id),
    /** 'authentication' (slot 9a) or 'signature' (9c), as pki/ca/issue-certificate.ts names them. */
    profile: text('profile'),
    slot: text('slot'),
    /** Hex content octets of the serial, lower case: what OCSP and CRLs look up. */
    serialNumber: text('serial_number').notNull(),
    subject: text('subject').notNull(),
    issuer: text('issuer').notNull(),
    sha256: text('sha256').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revocationReason: text('revocation_reason', { enum: revocationReasons }),
    /** The certificate itself; null only for rows written before the CA existed. */
    der: bytea('der'),
    /** True while it is the card's current certificate for its slot (not yet renewed). */
    current: boolean('current').notNull().default(true),
    /** The card job that issued it (null: issued outside a job, as the demo's cards). */
    jobId: uuid('job_id').references((): AnyPgColumn => cardJobs.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('certificates_sha256_uq').on(t.sha256),
    index('certificates_card_idx').on(t.cardId),
    index('certificates_not_after_idx').on(t.notAfter),
    index('certificates_job_idx').on(t.jobId).where(sql`${t.jobId} is not null`),
    uniqueIndex('certificates_ca_serial_uq').on(t.caId, t.serialNumber),
    // The CRL lists every revoked, unexpired certificate of a CA.
    index('certificates_revoked_idx')
      .on(t.caId, t.revokedAt)
      .where(sql`${t.revokedAt} is not null`),
    check(
      'certificates_revocation_ck',
      sql`(${t.revokedAt} is null) = (${t.revocationReason} is null)`,
    ),
    check(
      'certificates_revocation_reason_ck',
      sql`${t.revocationReason} in ('keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold')`,
    ),
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
  // Reconciliation (issue 10): what a reader saw against the records and the CA.
  'cancelled_card_in_use',
  'suspended_card_in_use',
  'certificate_revoked',
  'certificate_not_chaining',
  'certificates_differ',
  'stock_card_in_use',
  'holder_differs',
  // The holder left (an ESR import saw their end date pass): the card is to come back.
  'return_due',
] as const;
export type FlagKind = (typeof flagKinds)[number];

/**
 * How urgent a flag of each kind is (0 first), as SQL over a flag kind column: the flags
 * list's first sort key, and the first column of card_flags_open_order_idx, which must be
 * the very same expression for PostgreSQL to read the list off the index. A card or
 * certificate that should not be in use at all ranks with a foreign certificate; a stock
 * card in use with an unknown one.
 */
export function flagUrgency(kind: SQLWrapper) {
  return sql<number>`(case ${kind}
  when 'pin_blocked' then 0 when 'certificate_expired' then 1
  when 'foreign_certificate' then 2 when 'cancelled_card_in_use' then 2
  when 'suspended_card_in_use' then 2 when 'certificate_revoked' then 2
  when 'certificate_not_chaining' then 2 when 'certificates_differ' then 2
  when 'holder_differs' then 2 when 'return_due' then 3
  when 'unknown_card' then 3 when 'stock_card_in_use' then 3
  when 'pin_last_try' then 4 else 5 end)`;
}

/** The flags list's second sort key: the certificate's notAfter (ISO text), none last. */
export function flagNotAfterKey(details: SQLWrapper) {
  return sql<string>`coalesce((${details} ->> 'notAfter'), '~')`;
}

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
    /** The workstation that saw it; null for a flag no reader raised (`return_due`). */
    workstationId: uuid('workstation_id').references(() => workstations.id),
    /**
     * The holder's organisations (sorted ODS codes), kept by triggers as the flag is raised
     * and as the holder's links change (db/migrations/0016); null with no holder. A trust's
     * flags are found by this (card_flags_holder_idx) rather than person by person.
     */
    holderOds: text('holder_ods').array(),
  },
  (t) => [
    index('card_flags_holder_idx').using('gin', t.holderOds),
    uniqueIndex('card_flags_open_uq')
      .on(t.cardSerial, t.kind, t.certificateSha256)
      .where(sql`${t.resolvedAt} is null`),
    index('card_flags_list_idx').on(t.resolvedAt, t.raisedAt),
    // The open flags in the list's order (urgency, expiry, newest): a page is read off the
    // index, never sorted from every open flag of the nation.
    index('card_flags_open_order_idx')
      .on(flagUrgency(t.kind), flagNotAfterKey(t.details), t.raisedAt.desc(), t.id.desc())
      .where(sql`${t.resolvedAt} is null`),
    // The same by the holder's set of organisations first: a trust's page is the first flags
    // of each of its few sets, merged (server/services/flags/open-flags-by-set.ts), and the
    // sets themselves are found by skipping through it, one probe a set.
    index('card_flags_open_holder_order_idx')
      .on(
        t.holderOds,
        flagUrgency(t.kind),
        flagNotAfterKey(t.details),
        t.raisedAt.desc(),
        t.id.desc(),
      )
      .where(sql`${t.resolvedAt} is null`),
    index('card_flags_person_idx').on(t.personId),
    // Open flags with no known holder, which the dashboard counts from the table (they are
    // few); those with a holder it counts from card_flag_tallies.
    index('card_flags_unheld_open_idx')
      .on(t.workstationId, t.kind)
      .where(sql`${t.resolvedAt} is null and ${t.personId} is null`),
  ],
);

/**
 * The dashboard's card counts, kept as the cards move (db/migrations/0016: triggers on
 * `cards` and `person_organisations` write here in the same transaction): how many held cards
 * of each type are in each state, by the set of organisations their holder belongs to (sorted ODS codes;
 * `{}` for a holder in none). A caller's count is the sum of the rows whose set meets the
 * organisations they see, so a person in two of them is counted once. Rows are deltas (+1,
 * -1), never updated, so writers never wait on one another here; the card-counts job folds
 * them. Cards in stock (no holder) are counted from `cards`, as they are few.
 */
export const cardStateTallies = pgTable('card_state_tallies', {
  holderOds: text('holder_ods').array().notNull(),
  state: text('state').notNull(),
  cardType: text('card_type').notNull(),
  n: integer('n').notNull(),
});

/**
 * As `cardStateTallies`, for cards with no holder (in stock, returned, destroyed): how many
 * of each type in each state at each location (null: none), as stock is counted per trust
 * by where it is kept.
 */
export const cardStockTallies = pgTable('card_stock_tallies', {
  locationId: uuid('location_id'),
  state: text('state').notNull(),
  cardType: text('card_type').notNull(),
  n: integer('n').notNull(),
});

/**
 * As `cardStateTallies`, for held cards in use (cardsInUse) that have an expiry: by the UK
 * day of `expires_at`. The expiry buckets sum whole days from here and count today's cards
 * from `cards` (today is partly past). Days long gone are folded into one row per set.
 */
export const cardExpiryTallies = pgTable(
  'card_expiry_tallies',
  {
    holderOds: text('holder_ods').array().notNull(),
    expiresOn: date('expires_on', { mode: 'string' }).notNull(),
    n: integer('n').notNull(),
  },
  // With the set and the count, so that a range of days is read off the index alone.
  (t) => [index('card_expiry_tallies_day_idx').on(t.expiresOn, t.holderOds, t.n)],
);

/**
 * As `cardStateTallies`, for open flags with a known holder: how many of each kind, by the
 * holder's set of organisations (kept by triggers on `card_flags` and `person_organisations`).
 */
export const cardFlagTallies = pgTable('card_flag_tallies', {
  holderOds: text('holder_ods').array().notNull(),
  kind: text('kind').notNull(),
  n: integer('n').notNull(),
});
