/**
 * The audit trail's events in the words a reader uses: every recorded action belongs to
 * one category, found from the action's first word (`person.registered` → `people`). The
 * list page filters by category, and each event carries its own.
 */
export const auditCategories = [
  'people',
  'access',
  'cards',
  'sign-in',
  'workstations',
  'audit',
] as const;
export type AuditCategory = (typeof auditCategories)[number];

/** What a category holds: the first words of its actions. */
export const categoryPrefixes: Readonly<Record<AuditCategory, readonly string[]>> = {
  // Registration, identity checks and a person's details.
  people: ['person', 'import'],
  // Who may do what: positions and who holds them, requests, organisations, workgroups.
  access: ['request', 'assignment', 'position', 'organisation', 'workgroup'],
  // Cards, their stock and their certificates (the CA's own creation included).
  cards: ['card', 'stock', 'pki'],
  // Sign-ins, accounts and their activation, throttles, refused calls.
  'sign-in': ['auth', 'account', 'security'],
  workstations: ['workstation'],
  // The trail's own upkeep and the deployment's: checkpoints, verifications, the demo seeding.
  audit: ['audit', 'demo', 'system'],
};

/** The category of an action; one not named above counts as the trail's own (`audit`). */
export function categoryOf(action: string): AuditCategory {
  const [first = ''] = action.split('.');
  for (const category of auditCategories) {
    if (categoryPrefixes[category].includes(first)) return category;
  }
  return 'audit';
}
