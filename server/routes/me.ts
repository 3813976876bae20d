import type { OpenAPIHono } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { describeMe } from '../services/auth/describe-me.ts';
import { sessionFailedSignIns } from '../services/auth/sessions.ts';
import { Me } from './schemas.ts';

const route = defineRoute({
  method: 'get',
  path: '/api/me',
  operationId: 'getCurrentAccount',
  access: 'authenticated',
  tags: ['Sessions'],
  summary: 'Who you are: your account, roles per organisation, and permissions',
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: Me } } },
  },
});

export function registerMe(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const ctx = serviceContext(c);
    const me = await describeMe(ctx);
    // The session middleware has set it, or requireAccess would have refused.
    const session = c.get('session');
    const failedSignIns = session ? await sessionFailedSignIns(ctx, session.id) : null;
    return c.json({ ...me, csrfToken: session?.csrfToken ?? '', failedSignIns }, 200);
  });
}
