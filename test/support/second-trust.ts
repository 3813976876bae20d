import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { expect } from 'vitest';
import { accessRequests, assignments, positions } from '../../db/schema/access.ts';
import type { RoleName } from '../../db/schema/accounts.ts';
import { cards } from '../../db/schema/cards.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { people } from '../../db/schema/people.ts';
import { workstations } from '../../db/schema/workstations.ts';
import { createAccount } from '../../server/services/accounts/create-account.ts';
import { demoAccounts } from '../../server/services/demo/seed-demo.ts';
import { seedDemoMorning } from './demo-morning.ts';
import { egifDocuments, post } from './people.ts';
import type { SignedIn, TestApp } from './test-app.ts';

/** One trust's records that a route with an id can name, and what of them must never leak. */
export interface TrustRecords {
  trust: string;
  /** A site of the trust, managed by its RA. */
  site: string;
  person: string;
  /** An open assignment of `person`. */
  assignment: string;
  /** An active position of the site, which `person` does not hold. */
  position: string;
  /** An open request, raised by neither the trust's manager nor for them. */
  request: string;
  workstation: string;
  /** A whole-trail audit verification that the trust's RA manager started. */
  verification: string;
  /** An ESR import (checked, not applied) and a card cancellation list the trust's RA manager made. */
  esrImport: string;
  cardCancellation: string;
  /** Serials of cards whose flags the trust's workstations raised. */
  flaggedSerials: string[];
  /** Words of these records that nobody outside may read: names, date of birth, email, note. */
  secrets: string[];
}

export interface Trust {
  records: TrustRecords;
  /** One signed-in account per role, every role held in this trust only. */
  callers: { role: RoleName; username: string; who: SignedIn }[];
  /** The trust's RA manager, who may do everything the routes do to its records. */
  manager: SignedIn;
}

const password = 'correct horse battery';

/** A new account with one role (at no organisation: everywhere), activated and signed in. */
export async function activated(
  t: TestApp,
  username: string,
  role: RoleName,
  odsCode: string | null,
  // Not the username: a display name is a person's name, which the log check forbids in logs.
  displayName = `Test ${username.replace(/[^a-z0-9]/gi, '').toUpperCase()}`,
): Promise<SignedIn> {
  const { activation } = await createAccount(t.ctx, {
    username,
    displayName,
    roles: [{ role, odsCode }],
  });
  const res = await t.app.request('/api/auth/activate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, code: activation.code, password }),
  });
  expect(res.status, await res.clone().text()).toBe(204);
  return t.login(username, password);
}

async function created<T>(res: Response, status = 201): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

/** The demo trust RWG's records, after the demo's morning of work (seeded here). */
export async function demoTrust(t: TestApp): Promise<Trust> {
  await seedDemoMorning(t);
  const one = async <T>(rows: Promise<T[]>, what: string): Promise<T> => {
    const [row] = await rows;
    if (!row) throw new Error(`the demo has no ${what}`);
    return row;
  };
  const priya = await one(
    t.db.select().from(people).where(eq(people.givenName, 'Priya')),
    'person Priya',
  );
  const held = await one(
    t.db
      .select({ id: assignments.id })
      .from(assignments)
      .where(and(eq(assignments.personId, priya.id), isNull(assignments.endedAt))),
    'assignment of Priya',
  );
  const clerk = await one(
    t.db.select({ id: positions.id }).from(positions).where(eq(positions.name, 'Ward Clerk')),
    'Ward Clerk position',
  );
  const request = await one(
    t.db
      .select({ id: accessRequests.id, note: accessRequests.note })
      .from(accessRequests)
      .where(eq(accessRequests.status, 'open')),
    'open request',
  );
  const desk = await one(
    t.db
      .select({ id: workstations.id, name: workstations.name })
      .from(workstations)
      .where(eq(workstations.odsCode, 'RWG01')),
    'workstation',
  );
  const flagged = await t.db
    .select({ serial: cards.serial })
    .from(cards)
    .innerJoin(people, eq(people.id, cards.personId));
  const callers = [];
  for (const account of demoAccounts) {
    callers.push({
      role: account.role,
      username: account.username,
      who: await t.login(account.username),
    });
  }
  return {
    records: {
      trust: 'RWG',
      site: 'RWG01',
      person: priya.id,
      assignment: held.id,
      position: clerk.id,
      request: request.id,
      workstation: desk.id,
      verification: await startVerification(t, callers.find((c) => c.role === 'ra_manager')?.who),
      ...(await checkedImports(t, callers.find((c) => c.role === 'ra_manager')?.who, 'RWG01')),
      flaggedSerials: flagged.map((f) => f.serial),
      secrets: [
        priya.givenName,
        priya.familyName,
        priya.dateOfBirth,
        priya.email ?? '',
        request.note ?? '',
        desk.name,
      ].filter(Boolean),
    },
    callers,
    manager: await t.login('manager'),
  };
}

/**
 * A second trust, RXX with its site RXX01, built as a deployer and its RA would build it:
 * one account per role (RA roles at the trust, the sponsor and LSA at the site), a person
 * registered and checked, two positions (one held, one asked for by an RA agent), a
 * workstation enrolled by its agent, and a card flag raised by what that agent saw.
 */
export async function secondTrust(t: TestApp): Promise<Trust> {
  await t.db.insert(organisations).values({ odsCode: 'RXX', name: 'Crossfield NHS Trust (test)' });
  const placed: Record<RoleName, string> = {
    ra_manager: 'RXX',
    ra_agent_advanced: 'RXX',
    ra_agent: 'RXX',
    id_checker: 'RXX',
    sponsor: 'RXX01',
    lsa: 'RXX01',
    staff: 'RXX',
  };
  const manager = await activated(t, 'rxx.manager', 'ra_manager', 'RXX');
  await created(
    await post(t, manager, '/api/organisations', {
      odsCode: 'RXX01',
      name: 'Crossfield General (test)',
      parentOdsCode: 'RXX',
    }),
  );
  const callers = [{ role: 'ra_manager' as RoleName, username: 'rxx.manager', who: manager }];
  for (const [role, odsCode] of Object.entries(placed) as [RoleName, string][]) {
    if (role === 'ra_manager') continue;
    const username = `rxx.${role.replaceAll('_', '-')}`;
    callers.push({ role, username, who: await activated(t, username, role, odsCode) });
  }
  const as = (role: RoleName) => {
    const found = callers.find((c) => c.role === role);
    if (!found) throw new Error(`no ${role} in RXX`);
    return found.who;
  };

  const position = async (name: string) =>
    (
      await created<{ id: string }>(
        await post(t, manager, '/api/positions', {
          odsCode: 'RXX01',
          name,
          jobRoles: ['R8010'],
          activities: [],
          workgroupIds: [],
          systems: ['esr'],
          assignable: true,
        }),
      )
    ).id;
  const heldPosition = await position('Crossfield Clerk');
  const askedPosition = await position('Crossfield Receptionist');

  const person = {
    givenName: 'Xanthe',
    familyName: 'Crossley',
    dateOfBirth: '1983-02-17',
    email: 'xanthe.crossley@crossfield.example',
  };
  const { id: personId } = await created<{ id: string }>(
    await post(t, as('id_checker'), '/api/people', { ...person, odsCodes: ['RXX01'] }),
  );
  await created(
    await post(t, as('id_checker'), `/api/people/${personId}/identity-check`, {
      documents: egifDocuments('X7700001'),
    }),
    200,
  );
  const { id: assignmentId } = await created<{ id: string }>(
    await post(t, manager, `/api/people/${personId}/assignments`, { positionId: heldPosition }),
  );
  const note = 'Covering the Crossfield front desk (test note)';
  const { id: requestId } = await created<{ id: string }>(
    await post(t, as('ra_agent'), '/api/requests', {
      personId,
      positionId: askedPosition,
      note,
    }),
  );

  const deskName = 'Crossfield desk (test)';
  const { workstation, enrolment } = await created<{
    workstation: { id: string };
    enrolment: { code: string };
  }>(await post(t, manager, '/api/workstations', { name: deskName, odsCode: 'RXX01' }));
  const enrolled = await created<{ credential: string }>(
    await t.app.request('/api/agent/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.77.0.1' },
      body: JSON.stringify({ code: enrolment.code, hostname: 'crossfield-desk' }),
    }),
  );
  // Two cards seen at the desk: the person's, PIN blocked, and one nobody here knows.
  const theirs = randomBytes(16).toString('hex');
  const now = t.clock.now();
  await t.db
    .insert(cards)
    .values({ serial: theirs, personId, state: 'active', createdAt: now, updatedAt: now });
  const stranger = randomBytes(16).toString('hex');
  let sequence = 0;
  for (const [serial, blocked] of [
    [theirs, true],
    [stranger, false],
  ] as const) {
    await created(
      await t.app.request('/api/agent/observations', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${enrolled.credential}`,
        },
        body: JSON.stringify({
          idempotencyKey: randomUUID(),
          sequence: ++sequence,
          observedAt: now.toISOString(),
          kind: 'card_inserted',
          reader: 'RA Test Reader 00 00',
          atr: '3bf81300008131fe15597562696b657934d4',
          cardSerial: serial,
          card: {
            cardType: 'PIV',
            chuid: { guid: serial, fascn: null, expiry: null },
            certificates: [],
            pin: { verified: false, triesLeft: blocked ? 0 : 3, blocked },
          },
          error: null,
        }),
      }),
    );
  }

  return {
    records: {
      trust: 'RXX',
      site: 'RXX01',
      person: personId,
      assignment: assignmentId,
      position: askedPosition,
      request: requestId,
      workstation: workstation.id,
      verification: await startVerification(t, manager),
      ...(await checkedImports(t, manager, 'RXX01')),
      flaggedSerials: [theirs, stranger],
      secrets: [
        person.givenName,
        person.familyName,
        person.dateOfBirth,
        person.email,
        note,
        deskName,
      ],
    },
    callers,
    manager,
  };
}

/**
 * A checked ESR import of one row at `odsCode`, and a cancellation list naming no card of
 * anyone's (applying either harms no other case), both made by `who`.
 */
async function checkedImports(t: TestApp, who: SignedIn | undefined, odsCode: string) {
  if (!who) throw new Error('no RA manager to make imports');
  const number = odsCode === 'RWG01' ? '70000001' : '70000002';
  const esr = await t.app.request('/api/esr-imports?fileName=case.csv', {
    method: 'POST',
    headers: { ...who.headers, 'content-type': 'text/csv' },
    body: `employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date\n${number},Importcase,Ida,1990-01-01,,${odsCode},R8001,2026-01-05,\n`,
  });
  if (esr.status !== 201) throw new Error(`ESR import: ${esr.status} ${await esr.text()}`);
  const cancellation = await t.app.request('/api/card-cancellations', {
    method: 'POST',
    headers: who.headers,
    body: JSON.stringify({ text: `NO-SUCH-CARD-${odsCode}`, reason: 'damaged' }),
  });
  if (cancellation.status !== 201) {
    throw new Error(`card cancellation: ${cancellation.status} ${await cancellation.text()}`);
  }
  return {
    esrImport: ((await esr.json()) as { id: string }).id,
    cardCancellation: ((await cancellation.json()) as { id: string }).id,
  };
}

/** Starts (or joins the running) verification of the whole audit trail as `who`. */
async function startVerification(t: TestApp, who: SignedIn | undefined): Promise<string> {
  if (!who) throw new Error('no RA manager to start an audit verification');
  const res = await t.app.request('/api/audit/verifications', {
    method: 'POST',
    headers: who.headers,
  });
  if (res.status !== 202) throw new Error(`audit verification: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
