/**
 * Organisation scope: where the actor may use each of their permissions, worked out once
 * per request, and the one policy for what lies outside it. Every service asks here.
 *
 * ## Scope
 *
 * A role is held at an organisation. A role held at a trust covers the trust and every
 * organisation under it (its sites); a sponsor's role covers exactly the organisation
 * sponsored (DOMAIN.md: a sponsor of RWG01 decides RWG01's requests, not the trust's); a
 * role held with no organisation covers everywhere. A permission reaches the union of
 * what the roles granting it cover. The organisation tree is walked by one recursive query
 * (organisation-tree.ts), never by reading the whole organisations table, and the answer
 * is kept on the request's memo: the second question in a request costs nothing. (The
 * tree a request sees is the one it first asked about; nothing in one request both
 * changes the tree and then asks about the change.)
 *
 * ## What a caller gets outside their scope
 *
 * 1. **A record the caller may not see is not there.** The answer is 404 with exactly the
 *    message of a record that does not exist, and it comes before any other check of that
 *    record (its state, separation of duties, a second id in the body), so nothing in the
 *    answer depends on the record. Who sees what:
 *    - a person: themselves; holders of `people:read` in one of the person's
 *      organisations (in full); and a decider of an open or recently decided request for
 *      them (only what deciding needs: name, user ID, status, organisations, positions
 *      held; never date of birth, contact details, documents seen or cards). Raising or
 *      answering a request never widens this beyond that (person-access.ts);
 *    - a request: whoever raised it, its subject, and deciders of its position's
 *      organisation;
 *    - a workstation: holders of `workstations:manage` in its organisation.
 * 2. **A record the caller may see but not act on is a 403 that says why**, naming the
 *    organisations their role reaches. Organisations and positions are catalogue records,
 *    seen by every holder of `organisations:read` / `positions:read` (ODS codes are public
 *    and staff need the catalogue to ask for a position), so managing one outside one's
 *    organisations is a 403; so is acting (edit, identity check, direct assignment) on a
 *    person one sees only as the subject of a request one decides.
 * 3. **Lists hold only what is in scope**: searches, inboxes, workstations and flags never
 *    show, count or hint at what lies outside.
 *
 * A permission the caller's roles do not grant at all is refused earlier, at the route
 * (403), whatever the record: that says nothing about any record.
 */
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import { type Permission, rolePermissions } from '../../permissions/permissions.ts';
import { onceARequest } from '../actor-memo.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { descendantsOf } from './organisation-tree.ts';

/** Where a caller may use a permission: everywhere, or in these organisations only. */
export type OrganisationScope = { all: true } | { all: false; odsCodes: ReadonlySet<string> };

/** The actor's reach, permission by permission. */
export interface ActorScope {
  of(permission: Permission): OrganisationScope;
  /** Whether `permission` reaches `odsCode`. */
  covers(permission: Permission, odsCode: string): boolean;
  /** Whether `permission` reaches at least one of `odsCodes`. */
  coversAny(permission: Permission, odsCodes: Iterable<string>): boolean;
}

const memoKey = Symbol('actor scope');
const nowhere: OrganisationScope = { all: false, odsCodes: new Set() };

async function computeScope(ctx: ServiceContext, actor: Actor | null): Promise<ActorScope> {
  const roles = actor?.roles ?? [];
  const trustRoots = roles.flatMap((r) => (r.odsCode && r.role !== 'sponsor' ? [r.odsCode] : []));
  // Read with the session where it was (auth/sessions.ts), else walked now.
  const below = actor?.known?.reach ?? (await descendantsOf(ctx, trustRoots));
  const scopes = new Map<Permission, OrganisationScope>();
  for (const role of roles) {
    const reach =
      role.odsCode === null
        ? null
        : role.role === 'sponsor'
          ? [role.odsCode]
          : (below.get(role.odsCode) ?? [role.odsCode]);
    for (const permission of rolePermissions[role.role]) {
      const sofar = scopes.get(permission) ?? nowhere;
      if (sofar.all) continue;
      scopes.set(
        permission,
        reach === null
          ? { all: true }
          : { all: false, odsCodes: new Set([...sofar.odsCodes, ...reach]) },
      );
    }
  }
  const of = (permission: Permission) => scopes.get(permission) ?? nowhere;
  const covers = (permission: Permission, odsCode: string) => {
    const scope = of(permission);
    return scope.all || scope.odsCodes.has(odsCode);
  };
  return {
    of,
    covers,
    coversAny: (permission, odsCodes) => [...odsCodes].some((code) => covers(permission, code)),
  };
}

/** The actor's scope, computed at most once per request (and per actor) on the memo. */
export function actorScope(ctx: ServiceContext): Promise<ActorScope> {
  const actor = ctx.actor;
  if (!actor) return computeScope(ctx, actor);
  return onceARequest(ctx, memoKey, actor, () => computeScope(ctx, actor));
}

/** The ODS codes `permission` reaches, sorted, for messages (empty when it reaches everywhere). */
export function namedScope(scope: OrganisationScope): string[] {
  return scope.all ? [] : [...scope.odsCodes].sort();
}

/**
 * Policy 2: refuses (403, saying why) an actor whose `permission` does not reach `odsCode`,
 * for work on a record they may see (an organisation, a position). `what` names the work,
 * e.g. "positions".
 */
export async function assertInScope(
  ctx: ServiceContext,
  permission: Permission,
  odsCode: string,
  what: string,
): Promise<void> {
  const scope = await actorScope(ctx);
  if (scope.covers(permission, odsCode)) return;
  const yours = namedScope(scope.of(permission));
  throw new ForbiddenError(
    yours.length
      ? `You manage ${what} for ${yours.join(', ')} only, and ${odsCode} is not one of them. Ask an RA manager of ${odsCode}.`
      : `You do not manage ${what} for any organisation.`,
  );
}

/**
 * Policy 1: a record of `odsCode` that `permission` does not reach is answered as absent,
 * with `notFound`: the very message its service gives for an id that does not exist.
 */
export async function assertFoundInScope(
  ctx: ServiceContext,
  permission: Permission,
  odsCode: string,
  notFound: string,
): Promise<void> {
  if (!(await actorScope(ctx)).covers(permission, odsCode)) throw new NotFoundError(notFound);
}
