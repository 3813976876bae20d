import type { Database } from '../../db/client.ts';
import type { RoleName } from '../../db/schema/accounts.ts';
import type { Permission } from '../permissions/permissions.ts';

/** A role as held: which role, and which organisation it is scoped to (null: everywhere). */
export interface HeldRole {
  role: RoleName;
  odsCode: string | null;
}

/** Who is acting. Null on a service context means nobody has signed in. */
export interface Actor {
  accountId: string;
  username: string;
  roles: HeldRole[];
  permissions: Permission[];
}

/**
 * Facts a request works out once and keeps for its length, filled lazily by whichever
 * service first asks (the actor's organisation scope: services/access/actor-scope.ts).
 * Each owner keys its entry with its own symbol.
 */
export type RequestMemo = Map<symbol, unknown>;

/** What every service verb receives: no web framework, just the facts of the call. */
export interface ServiceContext {
  db: Database;
  actor: Actor | null;
  requestId: string | null;
  address: string | null;
  now: () => Date;
  /** One per request (the HTTP edge makes it); without one, nothing is kept between calls. */
  memo?: RequestMemo;
}

/** Runs `fn` in one transaction (a savepoint when already inside one). */
export function withTransaction<T>(
  ctx: ServiceContext,
  fn: (tx: ServiceContext) => Promise<T>,
): Promise<T> {
  return ctx.db.transaction((tx) => fn({ ...ctx, db: tx as unknown as Database }));
}
