import { sql } from 'drizzle-orm';
import {
  check,
  date,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.ts';
import { organisations } from './organisations.ts';

/**
 * True for a name with a word inside it: a family or given key holding a space, hyphen or
 * apostrophe ("o briain", "smith-jones", "o'brien"). Search finds a word inside a name
 * through the partial index of these names alone (people_name_words_idx), a few in a
 * hundred, rather than through every name. The same expression in the index and the query,
 * so PostgreSQL sees that the index serves it.
 */
export const nameHasWordBreak = sql`(${sql.identifier('people')}.${sql.identifier('family_key')} ~ '[-'' ’]' or ${sql.identifier('people')}.${sql.identifier('given_key')} ~ '[-'' ’]')`;

/**
 * For a name with a word break (nameHasWordBreak), its family_given key from the first
 * break on ("-jones mary" of "smith-jones mary"): where a word inside the name can start;
 * null for any other name. Search asks it through a trigram index
 * (people_name_words_trgm_idx), so "smi" finds "Jones-Smith" without reading the
 * "Smith-Jones" names, whose "smi" is their first word. The index is not partial: a query
 * holding nameHasWordBreak would let PostgreSQL prefer walking people_name_words_idx, which
 * its estimate of a trigram match (thousands) makes look cheaper. The same expression in the
 * index and the query.
 */
export const nameAfterFirstWord = sql`(case when ${nameHasWordBreak} then regexp_replace(${sql.identifier('people')}.${sql.identifier('family_given_key')}, '^[^-'' ’]+', '') end)`;

export const personStatuses = ['pending_id_check', 'active', 'suspended', 'closed'] as const;
export type PersonStatus = (typeof personStatuses)[number];

/**
 * A person known to the RA. `userId` is the 12-digit user ID (UUID) of DOMAIN.md: random,
 * unique, and never reused because people are closed, never deleted.
 */
export const people = pgTable(
  'people',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id').notNull(),
    givenName: text('given_name').notNull(),
    middleNames: text('middle_names'),
    familyName: text('family_name').notNull(),
    nameOnCard: text('name_on_card'),
    dateOfBirth: date('date_of_birth', { mode: 'string' }).notNull(),
    email: text('email'),
    phone: text('phone'),
    status: text('status', { enum: personStatuses }).notNull().default('pending_id_check'),
    // Lower-case, accent-stripped copies of the names ("zoe" for "Zoë"): the single keys
    // find duplicates and order lists; the two combined keys serve prefix search in either
    // order ("o bri", "priya pat", "patel p") with one btree index each.
    givenKey: text('given_key').notNull(),
    familyKey: text('family_key').notNull(),
    familyGivenKey: text('family_given_key').notNull(),
    givenFamilyKey: text('given_family_key').notNull(),
    accountId: uuid('account_id').references(() => accounts.id),
    /** The ESR (Electronic Staff Record) employee number: what an ESR import is keyed on. */
    employeeNumber: text('employee_number'),
    /**
     * The person's organisations (sorted ODS codes), a copy of their person_organisations
     * kept by a trigger (db/migrations/0020): in the name indexes, so a search within a
     * trust tests each name's organisations from the index alone.
     */
    orgCodes: text('org_codes').array().notNull().default(sql`'{}'::text[]`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => accounts.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('people_user_id_uq').on(t.userId),
    uniqueIndex('people_account_uq').on(t.accountId),
    // One person per employee number, however often the same ESR file is imported.
    uniqueIndex('people_employee_number_uq')
      .on(t.employeeNumber)
      .where(sql`${t.employeeNumber} is not null`),
    index('people_family_given_idx').on(t.familyGivenKey.op('text_pattern_ops')),
    index('people_given_family_idx').on(t.givenFamilyKey.op('text_pattern_ops'), t.orgCodes),
    // In the search's order; the family_given key and the organisations last, so that a page
    // of a family name's range is tested against what was typed, and against the caller's
    // organisations, from the index alone.
    index('people_order_idx').on(t.familyKey, t.givenKey, t.id, t.familyGivenKey, t.orgCodes),
    // People waiting for their identity check (a few in a hundred), oldest first: the
    // worklist's section, without reading every person of the nation.
    index('people_pending_idx').on(t.createdAt, t.id).where(sql`${t.status} = 'pending_id_check'`),
    // Their organisations, for a trust's count of them: its few hundred, not the nation's
    // 30,000 walked and filtered.
    index('people_pending_orgs_idx')
      .using('gin', t.orgCodes)
      .where(sql`${t.status} = 'pending_id_check'`),
    index('people_name_words_idx')
      .on(t.familyKey, t.givenKey, t.id, t.familyGivenKey, t.orgCodes)
      .where(sql`${t.familyKey} ~ '[-'' ’]' or ${t.givenKey} ~ '[-'' ’]'`),
    // A word inside a name, by trigram (pg_trgm): see nameAfterFirstWord.
    index('people_name_words_trgm_idx').using('gin', sql`${nameAfterFirstWord} gin_trgm_ops`),
    index('people_email_idx').on(sql`lower(${t.email})`),
    // Finds a second registration of the same person (same names and date of birth).
    index('people_identity_idx').on(t.familyKey, t.givenKey, t.dateOfBirth),
    check('people_user_id_ck', sql`${t.userId} ~ '^[0-9]{12}$'`),
    check(
      'people_status_ck',
      sql.raw(`status in (${personStatuses.map((s) => `'${s}'`).join(', ')})`),
    ),
  ],
);

/** The organisations a person works for. */
export const personOrganisations = pgTable(
  'person_organisations',
  {
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    odsCode: text('ods_code')
      .notNull()
      .references(() => organisations.odsCode),
  },
  (t) => [
    primaryKey({ columns: [t.personId, t.odsCode] }),
    // With the person: an organisation's people come off the index alone (no heap visit),
    // as every scope by organisation gathers them.
    index('person_organisations_ods_idx').on(t.odsCode, t.personId),
  ],
);

/** One identity check (e-GIF level 3): who saw which documents, when, and any override. */
export const identityChecks = pgTable(
  'identity_checks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    checkedBy: uuid('checked_by')
      .notNull()
      .references(() => accounts.id),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull(),
    /** Set when the checker went on despite a possible duplicate, with why. */
    overrideReason: text('override_reason'),
  },
  (t) => [index('identity_checks_person_idx').on(t.personId, t.checkedAt)],
);

export const documentCategories = ['photo_id', 'proof_of_address', 'other'] as const;

/**
 * A document seen in person. Never a copy of it, and its number only as an HMAC keyed
 * with a server secret: enough to spot the same passport twice, useless to a thief.
 */
export const identityDocuments = pgTable(
  'identity_documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    checkId: uuid('check_id')
      .notNull()
      .references(() => identityChecks.id),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    type: text('type').notNull(),
    category: text('category', { enum: documentCategories }).notNull(),
    issuingCountry: text('issuing_country').notNull(),
    expiresOn: date('expires_on', { mode: 'string' }),
    numberHash: text('number_hash').notNull(),
  },
  (t) => [
    index('identity_documents_hash_idx').on(t.numberHash),
    // The one absolute rule about documents: one check records a document once. (The same
    // document for two people, or for one person at two checks, is allowed: an override,
    // a re-check.) Also serves finding a check's documents, by its leading column.
    uniqueIndex('identity_documents_check_number_uq').on(t.checkId, t.numberHash),
  ],
);

/** One-time codes that let a newly registered person choose their own password. */
export const accountActivations = pgTable('account_activations', {
  accountId: uuid('account_id')
    .primaryKey()
    .references(() => accounts.id),
  codeHash: text('code_hash').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});
