import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { resolveSession } from '../services/auth/sessions.ts';
import { type AppEnv, serviceContext } from './app-env.ts';

export const sessionCookieName = 'ra_session';

/** Resolves the session cookie, if any, into the request's actor. */
export function sessionAuth(): MiddlewareHandler<AppEnv> {
  return async function sessionAuth(c, next) {
    c.set('actor', null);
    c.set('session', null);
    const token = getCookie(c, sessionCookieName);
    // A well-formed token is 43 base64url characters; anything else is not worth a query.
    if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
      const resolved = await resolveSession(serviceContext(c), token, c.get('deps').config.session);
      if (resolved) {
        c.set('actor', resolved.actor);
        c.set('session', { id: resolved.sessionId, csrfToken: resolved.csrfToken });
      }
    }
    await next();
  };
}
