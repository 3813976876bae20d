import type { OpenAPIHono } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { describeMe } from '../services/auth/describe-me.ts';
import { Me } from './schemas.ts';

const route = defineRoute({
  method: 'get',
  path: '/api/me',
  access: 'authenticated',
  tags: ['Sessions'],
  summary: 'Who you are: your account, roles per organisation, and permissions',
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: Me } } },
  },
});

export function registerMe(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const me = await describeMe(serviceContext(c));
    // The session middleware has set both, or requireAccess would have refused.
    const csrfToken = c.get('session')?.csrfToken ?? '';
    return c.json({ ...me, csrfToken }, 200);
  });
}
