import { createContext } from '@lit/context';
import type { Me, Permission } from './api/types.ts';

/** The signed-in user, shared with every page through @lit/context. */
export const sessionContext = createContext<Me | null>(Symbol('session'));

export function can(me: Me | null | undefined, permission: Permission): boolean {
  return !!me?.permissions.includes(permission);
}
