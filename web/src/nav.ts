import type { Schemas } from './api/client.ts';
import type { Permission } from './session.ts';

/** A kind of work that waits (GET /api/worklist). */
export type WorklistKind = Schemas['WorklistSection']['kind'];

export interface NavItem {
  path: string;
  label: string;
  permission: Permission;
  /** The worklist section whose count the item shows ("Requests (3)"), if any. */
  waiting?: WorklistKind;
  /** The page's own name (its tab's title), when the label is a shorter form of it. */
  title?: string;
  /**
   * The user's own things (their profile, their card): offered beside their name in the
   * header rather than in the main navigation, which then fits one row on a desk screen.
   */
  personal?: boolean;
  /**
   * A page an RA manager opens now and then (set-up, oversight), gathered under "More" in
   * the bar when two or more of them are shown, so the bar fits one row at 1280 px.
   */
  more?: boolean;
}

/**
 * The one list of places in the app. The navigation shows the items whose permission the
 * user holds; the app refuses to render a page whose item the user may not see.
 */
export const navItems: readonly NavItem[] = [
  // RA staff land on their dashboard: cards by state, expiry, blocked PINs, open flags.
  { path: '/dashboard', label: 'Dashboard', permission: 'dashboard:read' },
  // What waits for the caller. Every role with work to do here (RA staff, ID checkers,
  // sponsors, LSAs) reads people, and lands here unless the dashboard comes first; a card
  // holder alone lands on My access instead.
  { path: '/home', label: 'Home', permission: 'people:read' },
  { path: '/people', label: 'People', permission: 'people:read' },
  {
    path: '/register',
    label: 'Register',
    title: 'Register a person',
    permission: 'people:register',
  },
  {
    path: '/requests',
    label: 'Requests',
    permission: 'requests:decide',
    waiting: 'requestsToDecide',
  },
  { path: '/positions', label: 'Positions', permission: 'positions:manage' },
  { path: '/cards', label: 'Cards', permission: 'cards:read' },
  { path: '/card-flags', label: 'Card flags', permission: 'cards:read' },
  { path: '/my-access', label: 'My access', permission: 'requests:raise-own' },
  // Charts and downloads of the card estate: RA managers (and advanced agents) and sponsors.
  { path: '/reports', label: 'Reports', permission: 'reports:read' },
  // Set-up and oversight, under "More" for RA managers and advanced agents; an agent, whose
  // only such page is the stock, sees it in the bar. "Stock" is short for "Card stock".
  {
    path: '/stock',
    label: 'Stock',
    title: 'Card stock',
    permission: 'card-stock:manage',
    more: true,
  },
  {
    path: '/workstations',
    label: 'Workstations',
    permission: 'workstations:manage',
    more: true,
  },
  // ESR staff files and lists of cards to cancel: a dry run, then applied with progress.
  { path: '/imports', label: 'Imports', permission: 'people:import', more: true },
  { path: '/audit', label: 'Audit', title: 'Audit trail', permission: 'audit:read', more: true },
  { path: '/sign-in-locks', label: 'Sign-in locks', permission: 'accounts:unlock', more: true },
  {
    path: '/background-jobs',
    label: 'Jobs',
    title: 'Background jobs',
    permission: 'background-jobs:manage',
    more: true,
  },
  { path: '/profile', label: 'My profile', permission: 'profile:read-own', personal: true },
  // The holder's own card: unlock it with a code from their work email, renew it in the window.
  { path: '/my-card', label: 'My card', permission: 'cards:unlock-own', personal: true },
  // Public too (a holder at a workstation before signing in); signed in, it is in the shell.
  { path: '/check-card', label: 'Check my card', permission: 'profile:read-own', personal: true },
];
