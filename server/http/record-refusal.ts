import type { ErrorCode } from '../errors.ts';
import { recordAuditEvent } from '../services/audit/record-audit-event.ts';
import { withTransaction } from '../services/context.ts';
import { type AppContext, serviceContext } from './app-env.ts';

/** Refusals that are security events: the caller tried what they may not do. */
const refusalCodes = new Set<ErrorCode>(['FORBIDDEN', 'CSRF', 'SEPARATION_OF_DUTIES']);

/** Per caller (account, workstation or address), at most this many refusal events a minute. */
export const refusalsPerMinute = 10;
/** And across all callers of this process, at most this many: many addresses cannot fill the disk. */
export const refusalsPerMinuteInAll = 300;
const windowMs = 60_000;
const maxTracked = 10_000;

interface Window {
  startedAt: number;
  recorded: number;
  suppressed: number;
}

/**
 * Counts refusal events per caller in one-minute windows, in this process. A flood beyond
 * the limit is counted, not recorded; the caller's next recorded refusal says how many
 * were left out.
 */
export class RefusalLimiter {
  private windows = new Map<string, Window>();
  private all: Window = { startedAt: 0, recorded: 0, suppressed: 0 };

  constructor(
    private perCaller = refusalsPerMinute,
    private inAll = refusalsPerMinuteInAll,
  ) {}

  /** Null: do not record. Otherwise record, saying how many were suppressed before. */
  admit(key: string, now: number): { suppressedBefore: number } | null {
    if (now - this.all.startedAt >= windowMs)
      this.all = { startedAt: now, recorded: 0, suppressed: 0 };
    let w = this.windows.get(key);
    if (!w || now - w.startedAt >= windowMs) {
      if (!w && this.windows.size >= maxTracked) this.forgetOld(now);
      w = { startedAt: now, recorded: 0, suppressed: w?.suppressed ?? 0 };
      this.windows.set(key, w);
    }
    if (w.recorded >= this.perCaller || this.all.recorded >= this.inAll) {
      w.suppressed += 1;
      return null;
    }
    w.recorded += 1;
    this.all.recorded += 1;
    const suppressedBefore = w.suppressed;
    w.suppressed = 0;
    return { suppressedBefore };
  }

  private forgetOld(now: number) {
    for (const [key, w] of this.windows) {
      if (now - w.startedAt >= windowMs && w.suppressed === 0) this.windows.delete(key);
    }
    // Still full (a flood from very many callers): forget the oldest, counts and all.
    for (const key of this.windows.keys()) {
      if (this.windows.size < maxTracked) break;
      this.windows.delete(key);
    }
  }
}

const limiters = new WeakMap<object, RefusalLimiter>();

/** Text from the request, made safe to store: no control characters or lone surrogates, short. */
function clean(text: string, max: number): string {
  return text
    .slice(0, max)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/\p{Cc}/gu, '?');
}

/**
 * Records a refused request (403: not allowed, CSRF, separation of duties) as a security
 * event: method, path, code, and who asked (their account or workstation, and address).
 * Never the body or the query string. Rate-limited per caller; never fails the response.
 */
export async function recordRefusal(c: AppContext, code: ErrorCode): Promise<void> {
  if (!refusalCodes.has(code)) return;
  const deps = c.get('deps');
  let limiter = limiters.get(deps);
  if (!limiter) {
    limiter = new RefusalLimiter();
    limiters.set(deps, limiter);
  }
  const ctx = serviceContext(c);
  const who = ctx.actor
    ? `account:${ctx.actor.accountId}`
    : ctx.workstation
      ? `workstation:${ctx.workstation.id}`
      : `address:${ctx.address ?? 'unknown'}`;
  const admitted = limiter.admit(who, deps.now().getTime());
  if (!admitted) return;
  try {
    await withTransaction(ctx, (tx) =>
      recordAuditEvent(tx, {
        action: 'security.refused',
        subjectType: 'request',
        subjectId: null,
        summary: {
          method: clean(c.req.method, 10),
          path: clean(c.req.path, 200),
          refusal: code,
          ...(admitted.suppressedBefore ? { suppressedBefore: admitted.suppressedBefore } : {}),
        },
      }),
    );
  } catch (err) {
    deps.logger.error({ requestId: c.get('requestId'), err }, 'refusal not recorded');
  }
}
