import type { MiddlewareHandler } from 'hono';
import { authenticateAgent } from '../services/workstations/enrol-workstation.ts';
import { type AppEnv, serviceContext } from './app-env.ts';

/** Resolves a reader agent's `Authorization: Bearer sra_ws_…` into the request's workstation. */
export function agentAuth(): MiddlewareHandler<AppEnv> {
  return async function agentAuth(c, next) {
    c.set('workstation', null);
    const match = /^Bearer (sra_ws_[A-Za-z0-9_-]{43})$/.exec(c.req.header('authorization') ?? '');
    if (match?.[1]) c.set('workstation', await authenticateAgent(serviceContext(c), match[1]));
    await next();
  };
}
