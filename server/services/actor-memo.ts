import type { Actor, ServiceContext } from './context.ts';

/**
 * A fact about the caller, worked out at most once per request (and per actor) and kept on
 * the request's memo (context.ts) under the owner's `key`: the second question in a request
 * costs nothing. Without a memo (a job, a script), it is worked out each time. A failed
 * answer (say, in a transaction that is rolling back) is not kept.
 */
export function onceARequest<T>(
  ctx: ServiceContext,
  key: symbol,
  actor: Actor,
  work: () => Promise<T>,
): Promise<T> {
  if (!ctx.memo) return work();
  let perActor = ctx.memo.get(key) as WeakMap<Actor, Promise<T>> | undefined;
  if (!perActor) {
    perActor = new WeakMap();
    ctx.memo.set(key, perActor);
  }
  let found = perActor.get(actor);
  if (!found) {
    found = work();
    found.catch(() => perActor.delete(actor));
    perActor.set(actor, found);
  }
  return found;
}
