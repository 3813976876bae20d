import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../errors.ts';
import { type Access, allows } from '../permissions/permissions.ts';
import type { AppEnv } from './app-env.ts';

/** Lets the request through only when the caller's roles grant `access`. */
export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async function requireAccess(c, next) {
    const actor = c.get('actor');
    if (access === 'agent') {
      if (c.get('workstation')) return next();
      if (actor) {
        throw new DomainError(
          'FORBIDDEN',
          "Only a workstation's reader agent, with its own credential, may do this; a person's session may not.",
        );
      }
      throw new DomainError(
        'UNAUTHENTICATED',
        "This needs an enrolled workstation's credential (Authorization: Bearer …), and none valid was given. An RA manager can give the workstation a new enrolment code.",
      );
    }
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
