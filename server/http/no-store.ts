import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.ts';

/** The API's own description, which carries nothing personal and may be cached. */
const cacheable = (path: string) => path === '/api/openapi.json' || path.startsWith('/api/docs');

/**
 * API answers carry personal data (names, dates of birth, cards): no browser cache or
 * proxy may keep them, errors included. Static assets of the web app are not under /api.
 */
export function noStore(): MiddlewareHandler<AppEnv> {
  return async function noStore(c, next) {
    await next();
    if (!cacheable(c.req.path)) c.header('Cache-Control', 'no-store');
  };
}
