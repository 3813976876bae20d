import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKinds } from '../../db/schema/cards.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { listFlags } from '../services/flags/list-flags.ts';
import { pageCursor } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const Flag = z
  .object({
    id: z.uuid(),
    kind: z.enum(flagKinds),
    status: z.enum(['open', 'resolved']),
    raisedAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime().nullable(),
    lastSeenAt: z.iso.datetime(),
    card: z.object({ serial: z.string(), cardType: z.string(), known: z.boolean() }),
    certificate: z
      .object({
        slot: z.string(),
        subject: z.string(),
        issuer: z.string(),
        serialNumber: z.string(),
        notAfter: z.string(),
        sha256: z.string(),
      })
      .nullable(),
    daysLeft: z.number().int().nullable(),
    bucket: z.enum(['expired', '7', '30', '60', '90']).nullable(),
    person: z.object({ id: z.uuid(), userId: z.string(), displayName: z.string() }).nullable(),
    systems: z.array(z.string()).openapi({
      description:
        'Clinical systems the holder’s current positions open: what the flag puts at risk',
    }),
    action: z.string().openapi({ description: 'What resolves it, and who may do it' }),
    summary: z.string(),
    workstation: z.object({ id: z.uuid(), name: z.string() }).nullable().openapi({
      description:
        'The workstation whose reader saw it; null for a flag no reader raised (return_due)',
    }),
  })
  .openapi('CardFlag');

const list = defineRoute({
  method: 'get',
  path: '/api/flags',
  operationId: 'listFlags',
  access: 'cards:read',
  tags: ['Cards'],
  summary: 'Card flags raised by reader agents, most urgent first',
  description:
    'RA roles see every flag; a sponsor or LSA sees those of people in their organisations.',
  request: {
    query: z.strictObject({
      status: z.enum(['open', 'resolved', 'all']).optional(),
      kind: z.enum(flagKinds).optional(),
      cursor: pageCursor(300).optional(),
      limit: z.coerce.number().int().min(1).max(200).optional(),
    }),
  },
  responses: {
    200: {
      description: 'Flags',
      content: json(z.object({ items: z.array(Flag), nextCursor: z.string().nullable() })),
    },
  },
});

export function registerFlags(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) =>
    c.json(await listFlags(serviceContext(c), c.req.valid('query')), 200),
  );
}
