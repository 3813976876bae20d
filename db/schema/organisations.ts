import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  check,
  index,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** An organisation, identified by its ODS code (a trust such as `RWG`, or a site such as `RWG01`). */
export const organisations = pgTable(
  'organisations',
  {
    odsCode: text('ods_code').primaryKey(),
    name: text('name').notNull(),
    parentOdsCode: text('parent_ods_code').references((): AnyPgColumn => organisations.odsCode),
    status: text('status', { enum: ['active', 'closed'] })
      .notNull()
      .default('active'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('organisations_ods_code_ck', sql`${t.odsCode} ~ '^[A-Z0-9]{3,6}$'`),
    check('organisations_status_ck', sql`${t.status} in ('active', 'closed')`),
  ],
);

/** A workgroup in an organisation's tree of workgroups. */
export const workgroups = pgTable(
  'workgroups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    odsCode: text('ods_code')
      .notNull()
      .references(() => organisations.odsCode),
    parentId: uuid('parent_id').references((): AnyPgColumn => workgroups.id),
    name: text('name').notNull(),
    status: text('status', { enum: ['active', 'closed'] })
      .notNull()
      .default('active'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('workgroups_ods_code_idx').on(t.odsCode),
    check('workgroups_status_ck', sql`${t.status} in ('active', 'closed')`),
    // Sibling workgroups need distinct names, or an RA clerk cannot tell them apart.
    uniqueIndex('workgroups_sibling_name_uq').on(
      t.odsCode,
      sql`coalesce(${t.parentId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      sql`lower(${t.name})`,
    ),
  ],
);
