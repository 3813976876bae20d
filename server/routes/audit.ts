import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { listAuditEvents } from '../services/audit/list-audit-events.ts';
import { verifyAuditChain } from '../services/audit/verify-audit-chain.ts';
import { isoInstant, pageCursor } from './schemas.ts';

const AuditEvent = z
  .object({
    id: z.number().int(),
    occurredAt: z.iso.datetime(),
    actor: z.object({ accountId: z.uuid().nullable(), username: z.string().nullable() }),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string().nullable(),
    summary: z.record(z.string(), z.unknown()),
    requestId: z.string().nullable(),
    address: z.string().nullable(),
    hash: z.string(),
  })
  .openapi('AuditEvent');

const AuditQuery = z.strictObject({
  subjectType: z.string().max(64).optional(),
  subjectId: z.string().max(128).optional(),
  actor: z.string().max(128).optional().openapi({ description: 'Account id or username' }),
  action: z.string().max(64).optional(),
  from: isoInstant({ offset: true }).optional(),
  to: isoInstant({ offset: true }).optional(),
  cursor: pageCursor(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const list = defineRoute({
  method: 'get',
  path: '/api/audit',
  access: 'audit:read',
  tags: ['Audit'],
  summary: 'The audit trail, newest first, filtered and keyset-paginated',
  request: { query: AuditQuery },
  responses: {
    200: {
      description: 'A page of events',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(AuditEvent), nextCursor: z.string().nullable() }),
        },
      },
    },
  },
});

const verify = defineRoute({
  method: 'get',
  path: '/api/audit/verify',
  access: 'audit:read',
  tags: ['Audit'],
  summary: 'Recompute the hash chain and report the first broken event',
  responses: {
    200: {
      description: 'The verdict',
      content: {
        'application/json': {
          schema: z
            .object({
              ok: z.boolean(),
              checked: z.number().int(),
              firstBrokenId: z.number().int().nullable(),
            })
            .openapi('AuditVerdict'),
        },
      },
    },
  },
});

export function registerAudit(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await listAuditEvents(serviceContext(c), {
      subjectType: q.subjectType,
      subjectId: q.subjectId,
      actor: q.actor,
      action: q.action,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json(
      {
        items: page.items.map((e) => ({
          id: e.id,
          occurredAt: e.occurredAt.toISOString(),
          actor: { accountId: e.actorAccountId, username: e.actorUsername },
          action: e.action,
          subjectType: e.subjectType,
          subjectId: e.subjectId,
          summary: e.summary,
          requestId: e.requestId,
          address: e.address,
          hash: e.hash,
        })),
        nextCursor: page.nextCursor,
      },
      200,
    );
  });

  app.openapi(verify, async (c) => c.json(await verifyAuditChain(serviceContext(c)), 200));
}
