import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positions } from '../../db/schema/access.ts';
import { people } from '../../db/schema/people.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPositionId, egifDocuments, post, registerActivePerson } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface Refusal {
  code: string;
  message: string;
  details: { field: string; message: string }[];
}

/**
 * A form with several things wrong is answered once, with all of them: format problems
 * the schema finds and what only the database can tell (an unknown ODS code, a taken
 * username, a date out of bounds) together, in words for a person. The clock of the test
 * app reads 25 Nov 2026.
 */
describe.each(testDrivers)('every problem of a request at once (%s)', (driver) => {
  let t: TestApp;
  let checker: SignedIn;
  let agent: SignedIn;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    [checker, agent, manager] = await Promise.all([
      t.login('idchecker'),
      t.login('agent'),
      t.login('manager'),
    ]);
  });
  afterAll(() => t.close());

  async function refusal(res: Response): Promise<Refusal> {
    expect(res.status, await res.clone().text()).toBe(400);
    const { error } = (await res.json()) as { error: Refusal };
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      `${error.details.length} things need fixing before this can be saved.`,
    );
    return error;
  }

  const send = (who: SignedIn, method: string, path: string, body: unknown) =>
    t.app.request(path, { method, headers: who.headers, body: JSON.stringify(body) });

  let registered = 0;
  const someone = async () =>
    (
      await registerActivePerson(t, checker, {
        givenName: `Several${String.fromCharCode(97 + registered++)}`,
        familyName: 'Problems',
      })
    ).id;

  it('registers nobody with a bad email, a future date of birth and an unknown ODS code, and says all three', async () => {
    const error = await refusal(
      await post(t, checker, '/api/people', {
        givenName: '  ',
        familyName: 'Rounds',
        dateOfBirth: '2099-01-01',
        email: 'not an email',
        odsCodes: ['RWG01', 'ZZZ99'],
      }),
    );
    expect(error.details).toEqual([
      { field: 'givenName', message: 'Enter the given name' },
      { field: 'dateOfBirth', message: 'Enter a date of birth in the past' },
      { field: 'email', message: 'Enter an email address, like name@nhs.net' },
      { field: 'odsCodes.1', message: 'No organisation has ODS code ZZZ99' },
    ]);
    // The message counts; the page puts each one beside its field's label.
    expect(error.message).not.toMatch(/givenName|dateOfBirth|odsCodes/);
    const made = await t.db.select().from(people).where(eq(people.familyName, 'Rounds'));
    expect(made).toEqual([]);
  });

  it('says every problem only the database can tell, when the format is right', async () => {
    const error = await refusal(
      await post(t, checker, '/api/people', {
        givenName: 'Well',
        familyName: 'Formed',
        dateOfBirth: '2020-01-01',
        odsCodes: ['ZZZ98', 'RWG01', 'ZZZ99'],
        username: 'idchecker',
      }),
    );
    expect(error.details).toEqual([
      {
        field: 'dateOfBirth',
        message: 'Check the year: this date of birth makes the person younger than 15',
      },
      { field: 'odsCodes.0', message: 'No organisation has ODS code ZZZ98' },
      { field: 'odsCodes.2', message: 'No organisation has ODS code ZZZ99' },
      { field: 'username', message: 'The username idchecker is taken: choose another' },
    ]);
  });

  it("edits nobody's details with a bad phone number and a future date of birth, saying both", async () => {
    const id = await someone();
    const error = await refusal(
      await send(agent, 'PATCH', `/api/people/${id}`, {
        phone: 'call me',
        dateOfBirth: '2030-05-05',
      }),
    );
    expect(error.details).toEqual([
      { field: 'dateOfBirth', message: 'Enter a date of birth in the past' },
      {
        field: 'phone',
        message: 'Enter a phone number of 6 to 20 digits, like 01632 960001',
      },
    ]);
  });

  it('records no identity check with too few documents, one expired, and no reason for the override', async () => {
    const { id } = (await (
      await post(t, checker, '/api/people', {
        givenName: 'Unchecked',
        familyName: 'Problems',
        dateOfBirth: '1980-02-02',
        odsCodes: ['RWG01'],
      })
    ).json()) as { id: string };
    const [passport] = egifDocuments();
    const error = await refusal(
      await post(t, checker, `/api/people/${id}/identity-check`, {
        documents: [
          { ...passport, expiresOn: '2026-11-24' },
          { type: 'birth_certificate', issuingCountry: 'GB', number: 'BC 778' },
        ],
        duplicateOverride: { reason: '' },
      }),
    );
    expect(error.details).toEqual([
      { field: 'documents', message: 'Give three documents: 2 were given' },
      {
        field: 'documents',
        message: 'At least one document must be a proof of address, such as a utility bill',
      },
      {
        field: 'documents.0.expiresOn',
        message: 'This passport expired on 24 Nov 2026: give one in date',
      },
      { field: 'duplicateOverride.reason', message: 'Give a reason of a few words' },
    ]);
  });

  it('creates no position for an unknown organisation, with unknown codes and no name, saying all of it', async () => {
    const error = await refusal(
      await post(t, manager, '/api/positions', {
        odsCode: 'ZZZ97',
        name: '',
        jobRoles: ['R8000', 'R9999'],
        activities: ['B9999', 'X1'],
        workgroupIds: [],
        systems: [],
        assignable: false,
      }),
    );
    expect(error.details).toEqual(
      expect.arrayContaining([
        { field: 'odsCode', message: 'No organisation has ODS code ZZZ97' },
        { field: 'name', message: 'Give the position a name' },
        { field: 'jobRoles.1', message: 'No job role has code R9999' },
        { field: 'activities.1', message: 'Enter an activity code, like B0380' },
      ]),
    );
    expect(error.details).toHaveLength(4);
    const made = await t.db.select().from(positions).where(eq(positions.odsCode, 'ZZZ97'));
    expect(made).toEqual([]);
  });

  it('creates no position whose codes are unknown and workgroup foreign, saying each', async () => {
    const error = await refusal(
      await post(t, manager, '/api/positions', {
        odsCode: 'RWG01',
        name: 'Several Problems Officer',
        jobRoles: ['R9998', 'R9999'],
        activities: ['B9999'],
        workgroupIds: [crypto.randomUUID()],
        systems: [],
        assignable: false,
      }),
    );
    expect(error.details.map((d) => d.field)).toEqual([
      'jobRoles.0',
      'jobRoles.1',
      'activities.0',
      'workgroupIds.0',
    ]);
  });

  it('assigns nothing with a position of another organisation and both dates wrong, saying all three', async () => {
    const id = await someone();
    const error = await refusal(
      await post(t, agent, `/api/people/${id}/assignments`, {
        positionId: await demoPositionId(t, 'Outpatient Receptionist'),
        startDate: '2026-01-01',
        endDate: '2025-12-31',
      }),
    );
    expect(error.details).toEqual([
      {
        field: 'positionId',
        message: expect.stringMatching(
          /^Choose a position of this person's organisations: "Outpatient Receptionist" belongs to RWG02/,
        ),
      },
      {
        field: 'startDate',
        message:
          'Enter a start date from 26 Oct 2026 to 25 Nov 2027: it cannot be more than 30 days ago',
      },
      {
        field: 'endDate',
        message: 'Enter an end date on or after the start date (1 Jan 2026)',
      },
    ]);
  });

  it('assigns nothing with a malformed position and an end date too far off, saying both', async () => {
    const id = await someone();
    const error = await refusal(
      await post(t, agent, `/api/people/${id}/assignments`, {
        positionId: 'ward clerk',
        endDate: '2040-01-01',
      }),
    );
    expect(error.details).toEqual([
      { field: 'positionId', message: 'Choose a position' },
      {
        field: 'endDate',
        message:
          'Enter an end date by 25 Nov 2031, 5 years after the start, or leave it empty for no end date',
      },
    ]);
  });

  it('raises no request with a note too long, a start in the past and an end too far off', async () => {
    const error = await refusal(
      await post(t, agent, '/api/requests', {
        kind: 'assign',
        personId: await someone(),
        positionId: await demoPositionId(t, 'Ward Clerk'),
        startDate: '2026-11-01',
        endDate: '2040-01-01',
        note: 'n'.repeat(501),
      }),
    );
    expect(error.details).toEqual([
      {
        field: 'startDate',
        message:
          'Enter a start date from today (25 Nov 2026) to 25 Nov 2027: it cannot be in the past',
      },
      {
        field: 'endDate',
        message:
          'Enter an end date by 1 Nov 2031, 5 years after the start, or leave it empty for no end date',
      },
      { field: 'note', message: 'Shorten the note to 500 characters or fewer' },
    ]);
  });
});
