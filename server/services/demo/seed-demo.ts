import { sql } from 'drizzle-orm';
import { accountRoles, accounts, type RoleName } from '../../../db/schema/accounts.ts';
import { organisations, workgroups } from '../../../db/schema/organisations.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { hashPassword } from '../auth/passwords.ts';
import { type ServiceContext, withTransaction } from '../context.ts';

/** Demo only: the password every demo account shares, printed in the README. */
export const demoPassword = 'demo-smartcard-2026';

interface DemoAccount {
  username: string;
  displayName: string;
  role: RoleName;
  odsCode: string | null;
}

export const demoAccounts: readonly DemoAccount[] = [
  { username: 'manager', displayName: 'Morgan Manager', role: 'ra_manager', odsCode: 'RWG' },
  { username: 'advanced', displayName: 'Ada Advanced', role: 'ra_agent_advanced', odsCode: 'RWG' },
  { username: 'agent', displayName: 'Alex Agent', role: 'ra_agent', odsCode: 'RWG' },
  { username: 'idchecker', displayName: 'Ivy Checker', role: 'id_checker', odsCode: 'RWG' },
  { username: 'sponsor', displayName: 'Sam Sponsor', role: 'sponsor', odsCode: 'RWG01' },
  { username: 'lsa', displayName: 'Lee Unlocker', role: 'lsa', odsCode: 'RWG02' },
  { username: 'staff', displayName: 'Sky Staff', role: 'staff', odsCode: null },
];

/**
 * Seeds a demo trust with two sites, a few workgroups and one account per role. Does
 * nothing when any account exists, so it is safe to call at every start.
 */
export async function seedDemo(ctx: ServiceContext): Promise<boolean> {
  const passwordHash = await hashPassword(demoPassword);
  return withTransaction(ctx, async (tx) => {
    const [{ count } = { count: 0 }] = await tx.db
      .select({ count: sql<number>`count(*)::int` })
      .from(accounts);
    if (count > 0) return false;

    await tx.db.insert(organisations).values([
      { odsCode: 'RWG', name: 'West Hertfordshire Teaching Hospitals NHS Trust (demo)' },
      { odsCode: 'RWG01', name: 'Watford General Hospital', parentOdsCode: 'RWG' },
      { odsCode: 'RWG02', name: 'St Albans City Hospital', parentOdsCode: 'RWG' },
    ]);
    const [medicine, surgery] = await tx.db
      .insert(workgroups)
      .values([
        { odsCode: 'RWG01', name: 'Medicine' },
        { odsCode: 'RWG01', name: 'Surgery' },
      ])
      .returning({ id: workgroups.id });
    if (!medicine || !surgery) throw new Error('demo workgroups were not created');
    await tx.db.insert(workgroups).values([
      { odsCode: 'RWG01', name: 'Acute Medical Unit', parentId: medicine.id },
      { odsCode: 'RWG01', name: 'Theatres', parentId: surgery.id },
      { odsCode: 'RWG02', name: 'Outpatients' },
    ]);

    for (const demo of demoAccounts) {
      const [account] = await tx.db
        .insert(accounts)
        .values({
          username: demo.username,
          displayName: demo.displayName,
          email: `${demo.username}@demo.nhs.example`,
          passwordHash,
        })
        .returning({ id: accounts.id });
      if (!account) throw new Error(`demo account ${demo.username} was not created`);
      await tx.db
        .insert(accountRoles)
        .values({ accountId: account.id, role: demo.role, odsCode: demo.odsCode });
    }
    await recordAuditEvent(tx, {
      action: 'demo.seeded',
      subjectType: 'system',
      summary: {
        organisations: ['RWG', 'RWG01', 'RWG02'],
        accounts: demoAccounts.map((a) => a.username),
      },
      actor: { accountId: null, username: 'system' },
    });
    return true;
  });
}
