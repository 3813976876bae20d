import { eq, sql } from 'drizzle-orm';
import { accountRoles, accounts, type RoleName } from '../../../db/schema/accounts.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { ValidationError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { issueActivationCode } from './activation-codes.ts';

export interface NewAccount {
  username: string;
  displayName: string;
  email?: string | null;
  roles: { role: RoleName; odsCode: string | null }[];
}

/**
 * Creates a login with no usable password and returns a one-time activation code. Used by
 * registration (card holders) and by the deployer's CLI (the first RA manager).
 */
export async function createAccount(ctx: ServiceContext, input: NewAccount) {
  return withTransaction(ctx, async (tx) => {
    const [taken] = await tx.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(sql`lower(${accounts.username})`, input.username.toLowerCase()));
    if (taken) {
      throw new ValidationError(`The username ${input.username} is taken: choose another.`, [
        { field: 'username', message: 'is taken' },
      ]);
    }
    for (const { odsCode } of input.roles) {
      if (!odsCode) continue;
      const [org] = await tx.db
        .select({ odsCode: organisations.odsCode })
        .from(organisations)
        .where(eq(organisations.odsCode, odsCode));
      if (!org) {
        throw new ValidationError(`There is no organisation ${odsCode}.`, [
          { field: 'odsCode', message: `unknown ODS code ${odsCode}` },
        ]);
      }
    }
    const [account] = await tx.db
      .insert(accounts)
      .values({
        username: input.username,
        displayName: input.displayName,
        email: input.email ?? null,
        // No password until the owner activates the account with their code.
        passwordHash: '!',
      })
      .returning({ id: accounts.id });
    if (!account) throw new Error('account insert returned no row');
    if (input.roles.length) {
      await tx.db
        .insert(accountRoles)
        .values(input.roles.map((r) => ({ accountId: account.id, ...r })));
    }
    const activation = await issueActivationCode(tx, account.id);
    await recordAuditEvent(tx, {
      action: 'account.created',
      subjectType: 'account',
      subjectId: account.id,
      summary: { username: input.username, roles: input.roles },
    });
    return { accountId: account.id, activation: { username: input.username, ...activation } };
  });
}
