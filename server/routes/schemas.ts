import { z } from '@hono/zod-openapi';
import { roleNames } from '../../db/schema/accounts.ts';
import { permissions } from '../permissions/permissions.ts';

/** The signed-in caller, as `GET /api/me` and sign-in return it. */
export const Me = z
  .object({
    account: z.object({
      id: z.uuid(),
      username: z.string(),
      displayName: z.string(),
      email: z.string().nullable(),
    }),
    roles: z.array(
      z.object({
        role: z.enum(roleNames),
        label: z.string(),
        organisation: z.object({ odsCode: z.string(), name: z.string() }).nullable(),
      }),
    ),
    permissions: z.array(z.enum(permissions)),
    csrfToken: z.string().openapi({
      description: 'Send back as the X-CSRF-Token header on every state-changing request.',
    }),
    failedSignIns: z
      .object({
        count: z.number().int(),
        since: z.string().nullable(),
        addresses: z.array(
          z.object({ address: z.string().nullable(), count: z.number().int(), lastAt: z.string() }),
        ),
      })
      .nullable()
      .openapi({
        description:
          'Failed sign-in attempts on your account between your previous sign-in and this one, by address: tell the holder.',
      }),
  })
  .openapi('Me');

/** A year the database's date types can hold (PostgreSQL has no year 0) and ISO writes in 4 digits. */
const storableYear = (year: number) => year >= 1 && year <= 9999;

/** A calendar date, YYYY-MM-DD, that exists (no 30 February) and can be stored. */
export const isoDate = (
  message = 'must be a date as YYYY-MM-DD',
  yearMessage = 'must be a date from the year 1 to 9999',
) =>
  // abort: a value that is no date at all gets that one message, not every range's too.
  z.iso
    .date({ message, abort: true })
    // and a year that cannot be stored gets that alone, not a report's century too.
    .refine((d) => storableYear(Number(d.slice(0, 4))), { message: yearMessage, abort: true });

/** An instant, ISO 8601, that can be stored: in UTC it falls between the years 1 and 9999. */
export const isoInstant = (options: { offset?: boolean } = {}) =>
  z.iso
    .datetime({ ...options, message: 'must be a date and time (ISO 8601)', abort: true })
    .refine(
      (t) => storableYear(new Date(t).getUTCFullYear()),
      'must be a date and time from the year 1 to 9999',
    );

/**
 * A page cursor as the query carries it: the shape only (base64url), so it is named with
 * the other wrong fields; the paging helper decodes and checks what it holds.
 */
export const pageCursor = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be the nextCursor of a previous page, unchanged');
