import { and, eq, inArray, isNull, notExists, sql } from 'drizzle-orm';
import { assignments, positions } from '../../db/schema/access.ts';
import { cardLocations, cards } from '../../db/schema/cards.ts';
import { people, personOrganisations } from '../../db/schema/people.ts';
import { assignPosition } from '../../server/services/assignments/assign-position.ts';
import { demoActor } from '../../server/services/demo/seed-demo-activity.ts';
import { activateAccount } from '../../server/services/people/activate-account.ts';
import { recordIdentityCheck } from '../../server/services/people/record-identity-check.ts';
import { registerPerson } from '../../server/services/people/register-person.ts';
import type { TestApp } from './test-app.ts';

/** Registers a workstation as an RA manager and enrols it as its agent would: its id and Bearer headers. */
export async function enrolDesk(t: TestApp, name: string, odsCode = 'RWG01') {
  const manager = await t.login('manager');
  const registered = await t.app.request('/api/workstations', {
    method: 'POST',
    headers: manager.headers,
    body: JSON.stringify({ name, odsCode }),
  });
  if (registered.status !== 201) throw new Error(`register ${name}: ${await registered.text()}`);
  const { enrolment } = (await registered.json()) as { enrolment: { code: string } };
  const enrolled = await t.app.request('/api/agent/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.0.7' },
    body: JSON.stringify({ code: enrolment.code }),
  });
  if (enrolled.status !== 201) throw new Error(`enrol ${name}: ${await enrolled.text()}`);
  const body = (await enrolled.json()) as { credential: string; workstationId: string };
  return {
    workstationId: body.workstationId,
    credential: body.credential,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${body.credential}` },
  };
}

/** Serials of blank cards in stock at one organisation's locations (the demo imports 12 at RWG01). */
export async function stockSerials(t: TestApp, odsCode = 'RWG01'): Promise<string[]> {
  const rows = await t.db
    .select({ serial: cards.serial })
    .from(cards)
    .innerJoin(cardLocations, eq(cardLocations.id, cards.locationId))
    .where(and(eq(cards.state, 'in_stock'), eq(cardLocations.odsCode, odsCode)))
    .orderBy(cards.serial);
  return rows.map((r) => r.serial);
}

/**
 * Demo people a card can be issued to: identity checked (active), holding a position, at the
 * organisation given, with no card in use, and no sign-in account of the roles named.
 */
export async function issuablePeople(t: TestApp, odsCode = 'RWG01') {
  return t.db
    .select({
      id: people.id,
      given: people.givenName,
      family: people.familyName,
      accountId: people.accountId,
    })
    .from(people)
    .innerJoin(personOrganisations, eq(personOrganisations.personId, people.id))
    .where(
      and(
        eq(people.status, 'active'),
        eq(personOrganisations.odsCode, odsCode),
        sql`exists (select 1 from ${assignments} where ${assignments.personId} = ${people.id} and ${isNull(assignments.endedAt)})`,
        notExists(
          t.db
            .select({ one: sql`1` })
            .from(cards)
            .where(
              and(
                eq(cards.personId, people.id),
                inArray(cards.state, ['issued_locked', 'active', 'blocked', 'suspended']),
              ),
            ),
        ),
      ),
    )
    .orderBy(people.familyName);
}

/**
 * A new starter ready for a card, made through the same verbs as the screens: registered by
 * the RA agent, identity checked by the ID checker, given a position by the sponsor.
 */
export async function newStarter(
  t: TestApp,
  givenName: string,
  odsCode = 'RWG01',
  login?: { username: string; password: string },
) {
  const as = async (username: string) => ({ ...t.ctx, actor: await demoActor(t.ctx, username) });
  const familyName = `Starter${Math.random().toString(36).slice(2, 8)}`;
  const registered = await registerPerson(await as('agent'), {
    givenName,
    familyName,
    dateOfBirth: '1990-02-03',
    email: `${givenName.toLowerCase()}.${familyName.toLowerCase()}@demo.nhs.example`,
    odsCodes: [odsCode],
    ...(login ? { username: login.username } : {}),
  });
  if (login && registered.activation) {
    await activateAccount(
      { ...t.ctx, address: '127.0.0.9' },
      { username: login.username, code: registered.activation.code, password: login.password },
      t.config.login,
    );
  }
  const [person] = await t.db
    .select({
      id: people.id,
      userId: people.userId,
      accountId: people.accountId,
      email: people.email,
    })
    .from(people)
    .where(and(eq(people.givenName, givenName), eq(people.familyName, familyName)));
  if (!person) throw new Error('the new starter was not registered');
  const passport = `5${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;
  await recordIdentityCheck(
    await as('idchecker'),
    person.id,
    {
      documents: [
        { type: 'passport', issuingCountry: 'GB', expiresOn: '2031-06-30', number: passport },
        { type: 'utility_bill', issuingCountry: 'GB', number: `ACC-${passport}` },
        { type: 'birth_certificate', issuingCountry: 'GB', number: `BC ${passport}` },
      ],
    },
    t.config.documentHashKey ?? '',
  );
  const [position] = await t.db
    .select({ id: positions.id })
    .from(positions)
    .where(eq(positions.name, 'Ward Clerk'));
  await assignPosition(await as('sponsor'), {
    personId: person.id,
    positionId: position?.id ?? '',
  });
  return { ...person, name: `${givenName} ${familyName}` };
}
