import { eq } from 'drizzle-orm';
import { positions } from '../../db/schema/access.ts';
import { people } from '../../db/schema/people.ts';
import type { SignedIn, TestApp } from './test-app.ts';

/** Three documents that meet e-GIF level 3; `passport` makes all three numbers unique. */
export function egifDocuments(passport = 'P1234567') {
  return [
    { type: 'passport', issuingCountry: 'GB', expiresOn: '2030-01-01', number: passport },
    { type: 'utility_bill', issuingCountry: 'GB', number: `ACC-${passport}` },
    { type: 'birth_certificate', issuingCountry: 'GB', number: `BC ${passport}` },
  ];
}

export async function post(t: TestApp, who: SignedIn, path: string, body?: unknown) {
  return t.app.request(path, {
    method: 'POST',
    headers: who.headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The id of a demo position, by name. */
export async function demoPositionId(t: TestApp, name: string): Promise<string> {
  const [row] = await t.db
    .select({ id: positions.id })
    .from(positions)
    .where(eq(positions.name, name));
  if (!row) throw new Error(`no demo position ${name}`);
  return row.id;
}

/** The person record behind a demo account. */
export async function demoPersonId(t: TestApp, givenName: string): Promise<string> {
  const [row] = await t.db
    .select({ id: people.id })
    .from(people)
    .where(eq(people.givenName, givenName));
  if (!row) throw new Error(`no demo person ${givenName}`);
  return row.id;
}

/** Registers and identity-checks a person through the API as the ID checker. */
export async function registerActivePerson(
  t: TestApp,
  checker: SignedIn,
  person: {
    givenName: string;
    familyName: string;
    dateOfBirth?: string;
    passport?: string;
    username?: string;
  },
) {
  const res = await post(t, checker, '/api/people', {
    givenName: person.givenName,
    familyName: person.familyName,
    dateOfBirth: person.dateOfBirth ?? '1991-05-06',
    email: `${person.givenName.toLowerCase()}@demo.nhs.example`,
    odsCodes: ['RWG01'],
    ...(person.username ? { username: person.username } : {}),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const created = (await res.json()) as {
    id: string;
    userId: string;
    activation: { username: string; code: string } | null;
  };
  const check = await post(t, checker, `/api/people/${created.id}/identity-check`, {
    documents: egifDocuments(person.passport ?? `P${Math.random().toString().slice(2, 10)}`),
  });
  if (check.status !== 200)
    throw new Error(`identity check: ${check.status} ${await check.text()}`);
  return created;
}
