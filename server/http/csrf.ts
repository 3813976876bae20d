import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../errors.ts';
import { type AppEnv, expectedOrigin } from './app-env.ts';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Refuses state-changing requests that another site could have made: a browser's
 * Sec-Fetch-Site or Origin naming another site, or (for a signed-in session) a missing
 * or wrong X-CSRF-Token header. SameSite=Strict on the cookie is the first line; this is
 * the second, for browsers and proxies that get SameSite wrong.
 */
export function csrfProtection(): MiddlewareHandler<AppEnv> {
  return async function csrfProtection(c, next) {
    if (safeMethods.has(c.req.method)) return next();
    const fetchSite = c.req.header('sec-fetch-site');
    if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      throw new DomainError('CSRF', 'This request came from another site and was refused.');
    }
    const origin = c.req.header('origin');
    if (origin && origin !== expectedOrigin(c)) {
      throw new DomainError(
        'CSRF',
        `This request came from ${origin.slice(0, 100)}, not from this site, and was refused.`,
      );
    }
    const session = c.get('session');
    if (session) {
      const token = c.req.header('x-csrf-token') ?? '';
      if (!sameToken(token, session.csrfToken)) {
        throw new DomainError(
          'CSRF',
          'The X-CSRF-Token header is missing or does not match your session. Reload the page and try again.',
        );
      }
    }
    await next();
  };
}
