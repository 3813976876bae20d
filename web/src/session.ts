import { createContext } from '@lit/context';
import type { Schemas } from './api/client.ts';

/** The signed-in user, as GET /api/me answers. */
export type Me = Schemas['Me'];
/** One thing a role allows, as the server names it (`people:read`). */
export type Permission = Me['permissions'][number];

/** The signed-in user, shared with every page through @lit/context. */
export const sessionContext = createContext<Me | null>(Symbol('session'));

export function can(me: Me | null | undefined, permission: Permission): boolean {
  return !!me?.permissions.includes(permission);
}
