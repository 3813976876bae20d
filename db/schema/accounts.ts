import { sql } from 'drizzle-orm';
import {
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { organisations } from './organisations.ts';

/** The RA roles of DOMAIN.md, as stored. The permissions each grants live in `server/permissions`. */
export const roleNames = [
  'ra_manager',
  'ra_agent_advanced',
  'ra_agent',
  'id_checker',
  'sponsor',
  'lsa',
  'staff',
] as const;
export type RoleName = (typeof roleNames)[number];

/** A login: an RA user, sponsor, unlocker or card holder. */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    email: text('email'),
    passwordHash: text('password_hash').notNull(),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The last successful sign-in: the holder is told of failed attempts since then. */
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
  },
  // Usernames are matched case-insensitively, so uniqueness must be too.
  (t) => [
    uniqueIndex('accounts_username_uq').on(sql`lower(${t.username})`),
    check('accounts_status_ck', sql`${t.status} in ('active', 'disabled')`),
  ],
);

/**
 * A role held by an account. `odsCode` scopes it to one organisation (a sponsor of `RWG`);
 * null means it applies wherever the holder works (a card holder's `staff` role).
 */
export const accountRoles = pgTable(
  'account_roles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    role: text('role', { enum: roleNames }).notNull(),
    odsCode: text('ods_code').references(() => organisations.odsCode),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('account_roles_uq').on(t.accountId, t.role, sql`coalesce(${t.odsCode}, '')`),
    check(
      'account_roles_role_ck',
      sql.raw(`role in (${roleNames.map((r) => `'${r}'`).join(', ')})`),
    ),
  ],
);

/** A signed-in session. Only a SHA-256 hash of the bearer token is stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    address: text('address'),
    /** Failed sign-ins between the account's previous sign-in and this one, told to the holder. */
    failedSignIns: jsonb('failed_sign_ins').$type<FailedSignIns>(),
  },
  (t) => [
    uniqueIndex('sessions_token_hash_uq').on(t.tokenHash),
    index('sessions_account_idx').on(t.accountId),
  ],
);

/** What a holder is told at sign-in: failed attempts on their account since they last signed in. */
export interface FailedSignIns {
  count: number;
  since: string | null;
  addresses: { address: string | null; count: number; lastAt: string }[];
}

/**
 * One failed sign-in (or activation code) for a username as typed, lower-cased, from an
 * address ('' when unknown). The throttles are counts over these rows, kept in the database
 * so that several server processes share them. A row stops counting when `cleared_at` is set
 * (its account and address signed in, or an RA manager cleared it) but is kept, so the holder
 * is still told of it; rows go after 30 days.
 */
export const loginFailures = pgTable(
  'login_failures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountKey: text('account_key').notNull(),
    address: text('address').notNull(),
    failedAt: timestamp('failed_at', { withTimezone: true }).notNull(),
    clearedAt: timestamp('cleared_at', { withTimezone: true }),
  },
  (t) => [
    index('login_failures_account_idx').on(t.accountKey, t.failedAt),
    index('login_failures_address_idx').on(t.address, t.failedAt),
    index('login_failures_failed_at_idx').on(t.failedAt),
  ],
);
