import { eq, sql } from 'drizzle-orm';
import { accounts } from '../../../db/schema/accounts.ts';
import type { LoginPolicy, SessionPolicy } from '../../config.ts';
import { DomainError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import {
  assertNotThrottled,
  clearPairFailures,
  failedSignInsSince,
  recordLoginFailure,
} from './login-throttle.ts';
import { spendDecoyVerification, verifyPassword } from './passwords.ts';
import { createSession, endSession, type NewSession } from './sessions.ts';
import { failureRetentionMs } from './throttle-rules.ts';

export interface SignInInput {
  username: string;
  password: string;
}

/** One answer for every failure, so it never tells whether the account exists. */
const invalid = () =>
  new DomainError(
    'INVALID_CREDENTIALS',
    'The username or password is not right. Check both and try again.',
  );

/**
 * Checks a username and password and opens a session. Failures are counted per username
 * and address, and audited; a throttled caller is refused before any password check. A
 * session the caller already held (`replacing`) ends: each sign-in gets a fresh session.
 * The new session remembers the failed attempts since the holder's last sign-in, to tell them.
 */
export async function signIn(
  ctx: ServiceContext,
  input: SignInInput,
  policy: { session: SessionPolicy; login: LoginPolicy },
  replacing: string | null = null,
): Promise<NewSession & { accountId: string }> {
  const keys = { account: input.username, address: ctx.address };
  await assertNotThrottled(ctx, keys, policy.login);
  const [account] = await ctx.db
    .select()
    .from(accounts)
    .where(eq(sql`lower(${accounts.username})`, input.username.toLowerCase()));

  let passwordOk = false;
  if (account) passwordOk = await verifyPassword(account.passwordHash, input.password);
  else await spendDecoyVerification(input.password);

  if (!account || !passwordOk || account.status !== 'active') {
    await withTransaction(ctx, async (tx) => {
      await recordLoginFailure(tx, keys, policy.login);
      await recordAuditEvent(tx, {
        action: 'auth.login_failed',
        subjectType: 'account',
        subjectId: account?.id ?? null,
        summary: {
          reason: !account ? 'unknown_username' : !passwordOk ? 'wrong_password' : 'disabled',
        },
        actor: { accountId: account?.id ?? null, username: input.username.slice(0, 64) },
      });
    });
    throw invalid();
  }

  return withTransaction(ctx, async (tx) => {
    const now = tx.now();
    const since = account.lastSignInAt ?? new Date(now.getTime() - failureRetentionMs);
    const failed = await failedSignInsSince(tx, input.username, since);
    await clearPairFailures(tx, keys);
    if (replacing) await endSession(tx, replacing);
    const session = await createSession(tx, account.id, policy.session, failed);
    await tx.db.update(accounts).set({ lastSignInAt: now }).where(eq(accounts.id, account.id));
    await recordAuditEvent(tx, {
      action: 'auth.login',
      subjectType: 'account',
      subjectId: account.id,
      summary: {
        sessionId: session.id,
        ...(replacing ? { replacedSessionId: replacing } : {}),
        failedAttemptsSinceLastSignIn: failed.count,
      },
      actor: { accountId: account.id, username: account.username },
    });
    return { ...session, accountId: account.id };
  });
}
