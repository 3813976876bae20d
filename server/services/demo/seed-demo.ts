import { sql } from 'drizzle-orm';
import {
  positionActivities,
  positionJobRoles,
  positions,
  positionWorkgroups,
} from '../../../db/schema/access.ts';
import { accountRoles, accounts, type RoleName } from '../../../db/schema/accounts.ts';
import { organisations, workgroups } from '../../../db/schema/organisations.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { hashPassword } from '../auth/passwords.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { nameKey, nameKeys } from '../people/name-keys.ts';
import { newUserId } from '../people/user-id.ts';

/** Demo only: the password every demo account shares, printed in the README. */
export const demoPassword = 'demo-smartcard-2026';

interface DemoAccount {
  username: string;
  displayName: string;
  role: RoleName;
  odsCode: string | null;
  /** The organisation the person behind the account works for. */
  worksFor: string;
}

export const demoAccounts: readonly DemoAccount[] = [
  {
    username: 'manager',
    displayName: 'Morgan Manager',
    role: 'ra_manager',
    odsCode: 'RWG',
    worksFor: 'RWG',
  },
  {
    username: 'advanced',
    displayName: 'Ada Advanced',
    role: 'ra_agent_advanced',
    odsCode: 'RWG',
    worksFor: 'RWG',
  },
  {
    username: 'agent',
    displayName: 'Alex Agent',
    role: 'ra_agent',
    odsCode: 'RWG',
    worksFor: 'RWG',
  },
  {
    username: 'idchecker',
    displayName: 'Ivy Checker',
    role: 'id_checker',
    odsCode: 'RWG',
    worksFor: 'RWG',
  },
  {
    username: 'sponsor',
    displayName: 'Sam Sponsor',
    role: 'sponsor',
    odsCode: 'RWG01',
    worksFor: 'RWG01',
  },
  {
    username: 'lsa',
    displayName: 'Lee Unlocker',
    role: 'lsa',
    odsCode: 'RWG02',
    worksFor: 'RWG02',
  },
  { username: 'staff', displayName: 'Sky Staff', role: 'staff', odsCode: null, worksFor: 'RWG01' },
];

/**
 * Seeds a demo trust with two sites, a few workgroups, positions, people and one account
 * per role (each linked to a person record). Does
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

    const now = ctx.now();
    const addPerson = async (
      given: string,
      family: string,
      dateOfBirth: string,
      worksFor: string,
      accountId: string | null,
    ) => {
      const [person] = await tx.db
        .insert(people)
        .values({
          userId: newUserId(),
          givenName: given,
          familyName: family,
          dateOfBirth,
          email: `${nameKey(given)}.${nameKey(family).replace(/[^a-z]/g, '')}@demo.nhs.example`,
          status: 'active',
          ...nameKeys(given, family),
          accountId,
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: people.id });
      if (!person) throw new Error(`demo person ${given} ${family} was not created`);
      await tx.db.insert(personOrganisations).values({ personId: person.id, odsCode: worksFor });
    };

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
      const [given = demo.username, family = 'Demo'] = demo.displayName.split(' ');
      await addPerson(given, family, '1985-04-12', demo.worksFor, account.id);
    }
    await addPerson('Priya', 'Patel', '1990-02-03', 'RWG01', null);
    await addPerson('Zoë', 'Ó Briain', '1978-11-30', 'RWG01', null);
    await addPerson('Tomasz', 'Nowak', '1969-07-21', 'RWG02', null);

    const demoPositions = [
      {
        odsCode: 'RWG01',
        name: 'Staff Nurse, Acute Medical Unit',
        jobRoles: ['R8001'],
        activities: ['B0380', 'B1110', 'B1120'],
        workgroup: ['Acute Medical Unit'],
        systems: ['systmone', 'pacs'],
        assignable: true,
      },
      {
        odsCode: 'RWG01',
        name: 'Consultant Physician',
        jobRoles: ['R8000'],
        activities: ['B0380', 'B1101', 'B1103', 'B0083'],
        workgroup: ['Medicine'],
        systems: ['systmone', 'ers', 'pacs', 'sus'],
        assignable: false,
      },
      {
        odsCode: 'RWG01',
        name: 'Ward Clerk',
        jobRoles: ['R8010'],
        activities: ['B0825', 'B1120'],
        workgroup: ['Medicine'],
        systems: ['systmone', 'ers'],
        assignable: true,
      },
      {
        odsCode: 'RWG02',
        name: 'Outpatient Receptionist',
        jobRoles: ['R8009'],
        activities: ['B0825', 'B1103'],
        workgroup: ['Outpatients'],
        systems: ['ers', 'esr'],
        assignable: false,
      },
    ] as const;
    const groups = await tx.db.select().from(workgroups);
    for (const p of demoPositions) {
      const [position] = await tx.db
        .insert(positions)
        .values({
          odsCode: p.odsCode,
          name: p.name,
          systems: [...p.systems],
          assignable: p.assignable,
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: positions.id });
      if (!position) throw new Error(`demo position ${p.name} was not created`);
      await tx.db
        .insert(positionJobRoles)
        .values(p.jobRoles.map((code) => ({ positionId: position.id, code })));
      await tx.db
        .insert(positionActivities)
        .values(p.activities.map((code) => ({ positionId: position.id, code })));
      const wanted = groups.filter((g) => (p.workgroup as readonly string[]).includes(g.name));
      if (wanted.length) {
        await tx.db
          .insert(positionWorkgroups)
          .values(wanted.map((g) => ({ positionId: position.id, workgroupId: g.id })));
      }
    }
    await recordAuditEvent(tx, {
      action: 'demo.seeded',
      subjectType: 'system',
      summary: {
        organisations: ['RWG', 'RWG01', 'RWG02'],
        positions: 4,
        accounts: demoAccounts.map((a) => a.username),
      },
      actor: { accountId: null, username: 'system' },
    });
    return true;
  });
}
