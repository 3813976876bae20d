import type { RoleName } from '../../db/schema/accounts.ts';

export type { RoleName };

/**
 * Everything a caller may be allowed to do, named by resource and verb. Routes declare
 * one of these; nothing is allowed that no role grants.
 */
export const permissions = [
  'profile:read-own',
  'audit:read',
  'ra-staff:manage',
  'organisations:read',
  'organisations:manage',
  'workgroups:manage',
  'people:read',
  'people:register',
  'people:edit',
  // Suspend, reactivate and close a person: closing ends their positions, so it is RA work,
  // not the ID checker's (DOMAIN.md: ID checkers register and edit details, no positions).
  'people:change-status',
  'positions:read',
  'positions:manage',
  'assignments:manage',
  'assignments:assign-assignable',
  'requests:raise-own',
  'requests:raise',
  'requests:decide',
  'cards:read',
  'cards:issue',
  'cards:cancel',
  'cards:unlock',
  'cards:renew',
  'cards:renew-expired',
  'cards:renew-own',
  'cards:unlock-own',
  'card-stock:manage',
  // Bulk work from a file: staff records from ESR, and cards cancelled from a list of serials
  // (RA managers and advanced agents: a whole trust's records at once is theirs to decide).
  'people:import',
  'cards:cancel-batch',
  'reports:read',
  // The RA dashboard: cards by state, expiry, blocked PINs and flags of the caller's
  // organisations (RA staff; a sponsor or LSA has their cards and flags pages instead).
  'dashboard:read',
  'workstations:manage',
  // See and clear sign-in throttles and locks (RA managers).
  'accounts:unlock',
  // See the background jobs' runs, and run one now (RA managers).
  'background-jobs:manage',
] as const;
export type Permission = (typeof permissions)[number];

/** What a person in each role of DOMAIN.md may do. */
const ragent: readonly Permission[] = [
  'profile:read-own',
  'organisations:read',
  'people:read',
  'people:register',
  'people:edit',
  'people:change-status',
  'positions:read',
  'assignments:manage',
  // Everything assignable is assignable by RA users too; the route checks this permission.
  'assignments:assign-assignable',
  'requests:raise-own',
  'requests:raise',
  'requests:decide',
  'cards:read',
  'cards:issue',
  'cards:cancel',
  'cards:unlock',
  'cards:renew',
  'cards:renew-expired',
  'cards:renew-own',
  'cards:unlock-own',
  'card-stock:manage',
  'dashboard:read',
];

const advanced: readonly Permission[] = [
  ...ragent,
  'audit:read',
  'reports:read',
  'organisations:manage',
  'workgroups:manage',
  'positions:manage',
  'workstations:manage',
  'people:import',
  'cards:cancel-batch',
];

export const rolePermissions: Readonly<Record<RoleName, readonly Permission[]>> = {
  ra_manager: [...advanced, 'ra-staff:manage', 'accounts:unlock', 'background-jobs:manage'],
  ra_agent_advanced: advanced,
  ra_agent: ragent,
  id_checker: [
    'profile:read-own',
    'organisations:read',
    'people:read',
    'people:register',
    'people:edit',
    'requests:raise-own',
    'cards:renew-own',
    'cards:unlock-own',
  ],
  sponsor: [
    'profile:read-own',
    'organisations:read',
    'people:read',
    'positions:read',
    'assignments:assign-assignable',
    'requests:raise-own',
    'requests:raise',
    'requests:decide',
    'cards:read',
    'cards:unlock',
    'cards:renew',
    'cards:renew-own',
    'cards:unlock-own',
    'reports:read',
  ],
  lsa: [
    'profile:read-own',
    'people:read',
    // An LSA holds a card too, and asks for positions from the catalogue like any holder.
    'positions:read',
    'cards:read',
    'cards:unlock',
    'cards:renew',
    'requests:raise-own',
    'cards:renew-own',
    'cards:unlock-own',
  ],
  staff: [
    'profile:read-own',
    // The catalogue is no secret, and a card holder needs it to ask for a position.
    'positions:read',
    'requests:raise-own',
    'cards:renew-own',
    'cards:unlock-own',
  ],
};

/** Labels for people, as DOMAIN.md names the roles. */
export const roleLabels: Readonly<Record<RoleName, string>> = {
  ra_manager: 'RA Manager',
  ra_agent_advanced: 'RA Agent (Advanced)',
  ra_agent: 'RA Agent',
  id_checker: 'RA ID Checker',
  sponsor: 'Sponsor',
  lsa: 'Local Smartcard Administrator',
  staff: 'Staff member',
};

/** The permissions that a set of roles grants, sorted. */
export function permissionsOf(roles: Iterable<RoleName>): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) for (const p of rolePermissions[role]) granted.add(p);
  return permissions.filter((p) => granted.has(p));
}

/**
 * What a route needs: a permission, any signed-in caller (`authenticated`), nobody
 * (`public`: the login endpoint, health, the API document), or an enrolled workstation's
 * reader agent with its credential (`agent`).
 */
export type Access = Permission | 'authenticated' | 'public' | 'agent';

export function allows(access: Access, granted: readonly Permission[] | null): boolean {
  if (access === 'public') return true;
  // Only a workstation's credential reaches an agent route (requireAccess checks it): no role does.
  if (access === 'agent' || granted === null) return false;
  if (access === 'authenticated') return true;
  return granted.includes(access);
}
