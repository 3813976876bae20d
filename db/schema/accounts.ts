import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
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
  },
  (t) => [
    uniqueIndex('sessions_token_hash_uq').on(t.tokenHash),
    index('sessions_account_idx').on(t.accountId),
  ],
);

/**
 * Failed sign-in counters, keyed by `account:<username>` or `address:<ip>`. Kept in the
 * database rather than in memory so that several server processes share one limit.
 */
export const loginThrottles = pgTable('login_throttles', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
  blockedUntil: timestamp('blocked_until', { withTimezone: true }),
});
