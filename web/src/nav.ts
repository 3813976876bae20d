import type { Schemas } from './api/client.ts';
import type { Permission } from './api/types.ts';

/** A kind of work that waits (GET /api/worklist). */
export type WorklistKind = Schemas['WorklistSection']['kind'];

export interface NavItem {
  path: string;
  label: string;
  permission: Permission;
  /** The worklist section whose count the item shows ("Requests (3)"), if any. */
  waiting?: WorklistKind;
}

/**
 * The one list of places in the app. The navigation shows the items whose permission the
 * user holds; the app refuses to render a page whose item the user may not see.
 */
export const navItems: readonly NavItem[] = [
  // What waits for the caller. Every role with work to do here (RA staff, ID checkers,
  // sponsors, LSAs) reads people; a card holder alone lands on My access instead.
  { path: '/home', label: 'Home', permission: 'people:read' },
  { path: '/people', label: 'People', permission: 'people:read' },
  { path: '/register', label: 'Register a person', permission: 'people:register' },
  {
    path: '/requests',
    label: 'Requests',
    permission: 'requests:decide',
    waiting: 'requestsToDecide',
  },
  { path: '/positions', label: 'Positions', permission: 'positions:manage' },
  { path: '/card-flags', label: 'Card flags', permission: 'cards:read' },
  { path: '/my-access', label: 'My access', permission: 'requests:raise-own' },
  { path: '/workstations', label: 'Workstations', permission: 'workstations:manage' },
  { path: '/audit', label: 'Audit trail', permission: 'audit:read' },
  { path: '/sign-in-locks', label: 'Sign-in locks', permission: 'accounts:unlock' },
  { path: '/profile', label: 'My profile', permission: 'profile:read-own' },
];
