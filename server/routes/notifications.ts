import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import {
  listMyNotifications,
  listPersonNotifications,
  type NotificationView,
} from '../services/notifications/list-notifications.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const Notification = z
  .object({
    id: z.uuid(),
    day: z.iso.date(),
    kind: z.enum(['holder', 'sponsor', 'ra']).openapi({
      description:
        '`holder`: to the person about their own cards and positions; `sponsor`: a sponsor’s copy; `ra`: the RA’s notice of an expiry',
    }),
    toAddress: z.string().nullable(),
    subject: z.string(),
    status: z.enum([
      'pending',
      'sending',
      'sent',
      'failed',
      'abandoned',
      'suppressed',
      'interrupted',
    ]),
    suppressedReason: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable().openapi({ description: 'Why the last attempt failed' }),
    sentAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    items: z.array(z.string()).openapi({ description: 'What it told, one sentence each' }),
  })
  .openapi('Notification');

const view = (n: NotificationView) => ({
  ...n,
  sentAt: n.sentAt?.toISOString() ?? null,
  createdAt: n.createdAt.toISOString(),
});

const person = defineRoute({
  method: 'get',
  path: '/api/people/{id}/notifications',
  operationId: 'listPersonNotifications',
  access: 'people:read',
  tags: ['Notifications'],
  summary: 'Notifications about a person, and how each went',
  description:
    'Their expiry, blocked-PIN and position-ending digests, and the copies their sponsors and the RA got naming them: sent, failed and retried, or suppressed and why. Newest first.',
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: {
      description: 'The notifications',
      content: json(z.object({ notifications: z.array(Notification) })),
    },
  },
});

const mine = defineRoute({
  method: 'get',
  path: '/api/me/notifications',
  operationId: 'listMyNotifications',
  access: 'authenticated',
  tags: ['Notifications'],
  summary: 'What you were sent',
  description: 'The notices sent (or due) to you, newest first.',
  responses: {
    200: {
      description: 'Your notifications',
      content: json(z.object({ notifications: z.array(Notification) })),
    },
  },
});

export function registerNotifications(app: OpenAPIHono<AppEnv>) {
  app.openapi(person, async (c) => {
    const rows = await listPersonNotifications(serviceContext(c), c.req.valid('param').id);
    return c.json({ notifications: rows.map(view) }, 200);
  });
  app.openapi(mine, async (c) => {
    const rows = await listMyNotifications(serviceContext(c));
    return c.json({ notifications: rows.map(view) }, 200);
  });
}
