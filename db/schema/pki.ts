import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** DER bytes, kept as PostgreSQL bytea. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
  toDriver: (value) => value,
});

export const caNames = ['root', 'issuing'] as const;
export type CaName = (typeof caNames)[number];

/**
 * The deployment's two CAs: one root, one issuing (at most one of each). The private key is
 * stored only as pki/ca/key-at-rest.ts encrypted it under CA_KEY_PASSPHRASE. The issuing CA's
 * row also carries its current CRL: the number only grows (RFC 5280 §5.2.3), and the DER is
 * what `/pki/issuing.crl` serves, replaced in the same transaction as every revocation.
 */
export const certificateAuthorities = pgTable(
  'certificate_authorities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name', { enum: caNames }).notNull(),
    subject: text('subject').notNull(),
    /** Hex content octets of the certificate's serial. */
    serialNumber: text('serial_number').notNull(),
    certificate: bytea('certificate').notNull(),
    /** The JSON document encryptPrivateKey wrote; never returned by any route. */
    encryptedPrivateKey: text('encrypted_private_key').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    crlNumber: bigint('crl_number', { mode: 'bigint' }),
    crl: bytea('crl'),
    crlThisUpdate: timestamp('crl_this_update', { withTimezone: true }),
    crlNextUpdate: timestamp('crl_next_update', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('certificate_authorities_name_uq').on(t.name),
    check('certificate_authorities_name_ck', sql`${t.name} in ('root', 'issuing')`),
    // Only the issuing CA publishes a CRL here, and then all of its parts together.
    check(
      'certificate_authorities_crl_ck',
      sql`(${t.name} = 'root' and ${t.crlNumber} is null and ${t.crl} is null and ${t.crlThisUpdate} is null and ${t.crlNextUpdate} is null)
        or (${t.name} = 'issuing' and ${t.crlNumber} > 0 and ${t.crl} is not null and ${t.crlNextUpdate} > ${t.crlThisUpdate})`,
    ),
  ],
);
