import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { clearSignInThrottle } from '../services/auth/clear-sign-in-throttle.ts';
import { listSignInThrottles } from '../services/auth/list-sign-in-throttles.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const SignInThrottle = z
  .object({
    kind: z.enum(['account', 'address', 'account_address']).openapi({
      description:
        '`account`: the username is locked from everywhere; `address`: everyone at the address is; `account_address`: the username must wait before trying again from that address',
    }),
    username: z.string().nullable().openapi({ description: 'As typed, lower-cased' }),
    address: z.string().nullable(),
    failures: z.number().int(),
    accounts: z.number().int().nullable().openapi({
      description: 'For an address: how many usernames its failures named',
    }),
    blockedUntil: z.iso.datetime(),
  })
  .openapi('SignInThrottle');

const list = defineRoute({
  method: 'get',
  path: '/api/sign-in-throttles',
  operationId: 'listSignInThrottles',
  access: 'accounts:unlock',
  tags: ['Sessions'],
  summary: 'Sign-in throttles and locks holding someone back now',
  responses: {
    200: {
      description: 'Each locked username, locked address, and username made to wait at an address',
      content: json(z.object({ items: z.array(SignInThrottle) })),
    },
  },
});

const ClearThrottle = z
  .strictObject({
    username: z
      .string()
      .trim()
      .min(1, 'is empty')
      .max(64, 'is longer than 64 characters')
      .optional(),
    address: z.string().trim().max(64, 'is longer than 64 characters').optional(),
  })
  .refine((v) => v.username !== undefined || v.address !== undefined, {
    message: 'name a username, an address, or both',
    path: ['username'],
  })
  .openapi('ClearSignInThrottle');

const clear = defineRoute({
  method: 'post',
  path: '/api/sign-in-throttles/clear',
  operationId: 'clearSignInThrottle',
  access: 'accounts:unlock',
  tags: ['Sessions'],
  summary: 'Let a username, an address, or a username at an address sign in again',
  description:
    'The failed sign-ins named stop counting (they stay recorded, so the holder is still told of them). Audited.',
  request: { body: { required: true, content: json(ClearThrottle) } },
  responses: {
    200: {
      description: 'How many failed sign-ins stopped counting',
      content: json(z.object({ cleared: z.number().int() })),
    },
    404: { description: 'Nothing was holding them back', content: json(ErrorBody) },
  },
});

export function registerSignInThrottles(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    const items = await listSignInThrottles(serviceContext(c), c.get('deps').config.login);
    return c.json({ items }, 200);
  });

  app.openapi(clear, async (c) => {
    return c.json(await clearSignInThrottle(serviceContext(c), c.req.valid('json')), 200);
  });
}
