import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../errors.ts';
import { type Access, allows } from '../permissions/permissions.ts';
import type { AppEnv } from './app-env.ts';

/** Lets the request through only when the caller's roles grant `access`. */
export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async function requireAccess(c, next) {
    const actor = c.get('actor');
    if (access !== 'public' && !actor) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'You are not signed in, or your session has ended. Sign in and try again.',
      );
    }
    if (!allows(access, actor?.permissions ?? null)) {
      throw new DomainError(
        'FORBIDDEN',
        `Your role does not allow this (it needs the "${access}" permission). Ask an RA manager if you think it should.`,
      );
    }
    await next();
  };
}
