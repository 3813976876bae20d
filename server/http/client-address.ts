import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.ts';

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } };
}

/**
 * Sets the caller's address: the socket's peer, or behind a trusted proxy the first
 * address in X-Forwarded-For. Requests made in-process (tests) may have neither.
 */
export function clientAddress(): MiddlewareHandler<AppEnv> {
  return async function clientAddress(c, next) {
    const { config } = c.get('deps');
    let address: string | null = null;
    if (config.trustProxy) {
      address = c.req.header('x-forwarded-for')?.split(',')[0]?.trim().slice(0, 64) || null;
    }
    address ??= (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress ?? null;
    c.set('address', address);
    await next();
  };
}
