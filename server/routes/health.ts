import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { AppEnv } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';

const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    version: z.string(),
    database: z.object({
      status: z.enum(['ok', 'unavailable']),
      driver: z.enum(['pglite', 'postgres']),
    }),
  })
  .openapi('Health');

const route = defineRoute({
  method: 'get',
  path: '/api/health',
  operationId: 'getHealth',
  access: 'public',
  tags: ['System'],
  summary: 'Whether the server and its database answer',
  responses: {
    200: { description: 'Healthy', content: { 'application/json': { schema: Health } } },
    503: {
      description: 'The database does not answer',
      content: { 'application/json': { schema: Health } },
    },
  },
});

export function registerHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const { db, driver, version, logger } = c.get('deps');
    try {
      await db.execute(sql`select 1`);
      return c.json(
        { status: 'ok' as const, version, database: { status: 'ok' as const, driver } },
        200,
      );
    } catch (err) {
      logger.error({ err }, 'health check: database did not answer');
      return c.json(
        {
          status: 'unavailable' as const,
          version,
          database: { status: 'unavailable' as const, driver },
        },
        503,
      );
    }
  });
}
