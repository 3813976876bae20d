import type { Database } from '../../db/client.ts';
import type { RoleName } from '../../db/schema/accounts.ts';
import type { CardSecrets } from '../../pki/card/card-secrets.ts';
import type { Permission } from '../permissions/permissions.ts';
import type { AuditKeys } from './audit/audit-keys.ts';
import type { Mailer } from './mail/mailer.ts';
import type { CaOpener } from './pki/ca-opener.ts';

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
  /**
   * Facts read with the session, in its own statement, so that a request need not ask for
   * them again (each a round trip): the organisations under each organisation a role other
   * than sponsor names (itself included: access/actor-scope.ts), and the account's person
   * (null for none). Absent where the actor was made otherwise (a job, a test): then they
   * are asked for when needed.
   */
  known?: {
    reach: ReadonlyMap<string, ReadonlySet<string>>;
    personId: string | null;
  };
}

/**
 * Facts a request works out once and keeps for its length, filled lazily by whichever
 * service first asks (the actor's organisation scope and person: services/actor-memo.ts).
 * Each owner keys its entry with its own symbol.
 */
export type RequestMemo = Map<symbol, unknown>;

/** A workstation acting through its reader agent's credential. */
export interface ActingWorkstation {
  id: string;
  name: string;
  odsCode: string;
}

/** What every service verb receives: no web framework, just the facts of the call. */
export interface ServiceContext {
  db: Database;
  actor: Actor | null;
  /** The workstation whose agent made the call, if one did: audit events name it. */
  workstation?: ActingWorkstation | null;
  requestId: string | null;
  address: string | null;
  now: () => Date;
  /** One per request (the HTTP edge makes it); without one, nothing is kept between calls. */
  memo?: RequestMemo;
  /** The audit trail's keys (never stored in the database). */
  auditKeys: AuditKeys;
  /**
   * Opens the CAs for verbs that sign (revocations publish a new CRL); absent where nothing
   * signs. Without it, a change that needs a signature is refused and nothing is written.
   */
  certificateAuthority?: CaOpener;
  /**
   * Derives each card's management key and seals its PUK (from CARD_MASTER_KEY); absent when
   * the server has none, and then card jobs are refused, saying so.
   */
  cardSecrets?: CardSecrets;
  /**
   * Sends mail (one-time unlock codes); absent where nothing sends. Without it, a verb that
   * must send refuses with 503 and keeps nothing.
   */
  mailer?: Mailer;
}

declare const inTransaction: unique symbol;

/** What runs once the outermost transaction has ended (see `afterTransaction`). */
type AfterTransaction = (ctx: ServiceContext) => Promise<void>;
const afterHooks = Symbol('afterTransaction');
const chainHead = Symbol('auditChainHead');
/**
 * The audit chain's last hash as this transaction left it, once it holds the chain's lock
 * (services/audit/record-audit-event.ts): a second event in the same transaction links to it
 * without asking the database again. Forgotten when a savepoint rolls back, as the event it
 * names (and the lock, if taken there) went with it.
 */
export interface AuditChainHead {
  hash: string | undefined;
}
type WithHooks = { [afterHooks]?: AfterTransaction[]; [chainHead]?: AuditChainHead };

/**
 * A service context whose `db` is the transaction of the change being made. Only
 * `withTransaction` makes one, so a verb that records an audit event (which needs this
 * type) cannot be called outside the transaction of its change.
 */
export interface TxContext extends ServiceContext {
  readonly [inTransaction]: true;
}

/**
 * Runs `fn` in one transaction (a savepoint when already inside one). Work registered with
 * `afterTransaction` runs once the outermost transaction has ended, whether it committed or
 * not; an error of the transaction wins over one of that work.
 */
export async function withTransaction<T>(
  ctx: ServiceContext,
  fn: (tx: TxContext) => Promise<T>,
): Promise<T> {
  // Inside a transaction already: the spread carries the outermost one's list along.
  if ((ctx as WithHooks)[afterHooks]) {
    try {
      return await ctx.db.transaction((tx) =>
        fn({ ...ctx, db: tx as unknown as Database } as TxContext),
      );
    } catch (error) {
      const head = (ctx as WithHooks)[chainHead];
      if (head) head.hash = undefined;
      throw error;
    }
  }
  const hooks: AfterTransaction[] = [];
  const head: AuditChainHead = { hash: undefined };
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    const value = await ctx.db.transaction((tx) =>
      fn({
        ...ctx,
        db: tx as unknown as Database,
        [afterHooks]: hooks,
        [chainHead]: head,
      } as unknown as TxContext),
    );
    outcome = { ok: true, value };
  } catch (error) {
    outcome = { ok: false, error };
  }
  for (const hook of hooks) {
    try {
      await hook(ctx);
    } catch (error) {
      if (outcome.ok) outcome = { ok: false, error };
    }
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * Has `fn` run after the outermost transaction of `tx` ends, committed or rolled back, on the
 * database outside it: for what must be kept whatever becomes of the change, such as a wrong
 * one-time code counted against its holder by a verb that then refuses (and so rolls back).
 */
export function afterTransaction(tx: TxContext, fn: AfterTransaction): void {
  const hooks = (tx as WithHooks)[afterHooks];
  if (!hooks) throw new Error('afterTransaction needs a context made by withTransaction');
  hooks.push(fn);
}

/** The audit chain's head as the transaction of `tx` holds it (see `AuditChainHead`). */
export function auditChainHead(tx: TxContext): AuditChainHead {
  const head = (tx as WithHooks)[chainHead];
  if (!head) throw new Error('auditChainHead needs a context made by withTransaction');
  return head;
}
