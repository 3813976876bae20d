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
