import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cards } from '../../db/schema/cards.ts';
import { people, personOrganisations } from '../../db/schema/people.ts';
import { nameKeys } from '../../server/services/people/name-keys.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId, post, registerActivePerson } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

interface PersonBody {
  status: string;
  actions: string[];
  assignments: { id: string; state: string; endNote: string | null; actions: string[] }[];
}

/**
 * Looking after people once registered: the actions their page may offer each caller, the
 * positions they may be given, suspending, reactivating and closing with a reason, and
 * finding them by any word of their name or by a card's serial.
 */
describe.each(testDrivers)('people maintenance (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  let agent: SignedIn;
  let idchecker: SignedIn;
  let sponsor: SignedIn;
  let lsa: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver);
    manager = await t.login('manager');
    agent = await t.login('agent');
    idchecker = await t.login('idchecker');
    sponsor = await t.login('sponsor');
    lsa = await t.login('lsa');
  });
  afterAll(() => t.close());

  const get = async <T>(who: SignedIn, path: string, status = 200): Promise<T> => {
    const res = await t.app.request(path, { headers: who.headers });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(status);
    return (await res.json()) as T;
  };
  const person = (who: SignedIn, id: string) => get<PersonBody>(who, `/api/people/${id}`);
  const errorOf = async (res: Response, status: number) => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()).error as { code: string; message: string; details?: unknown };
  };
  const auditOf = async (id: string) => {
    const page = await get<{ items: { action: string; summary: Record<string, unknown> }[] }>(
      manager,
      `/api/audit?subjectType=person&subjectId=${id}`,
    );
    return page.items;
  };
  const find = async (who: SignedIn, q: string) =>
    (
      await get<{ items: { id: string; familyName: string }[] }>(
        who,
        `/api/people?q=${encodeURIComponent(q)}`,
      )
    ).items;

  describe('search', () => {
    it('finds a name by any of its words, whatever the accents', async () => {
      expect((await find(agent, 'briain')).map((p) => p.familyName)).toEqual(['Ó Briain']);
      expect((await find(agent, 'BRIAIN zoe')).map((p) => p.familyName)).toEqual(['Ó Briain']);
      expect((await find(agent, 'ó bri')).map((p) => p.familyName)).toEqual(['Ó Briain']);
      // A word's middle is not a word's start.
      expect(await find(agent, 'riain')).toEqual([]);
    });

    it('orders a common prefix by family then given name across every way of matching, page after page', async () => {
      // "smi" matches a family name's start, a given name's start, and a word inside a
      // name, each answered apart (search-people.ts): the pages must still be one order.
      const names = [
        ['Zed', 'Smith'],
        ['Carl', 'Jones-Smith'],
        ['Bea', 'Smithson'],
        ['Smita', 'Kapoor'],
        ['Amy', 'Smith'],
        ['Ola', 'van Smirnov'],
        ['Dan', 'Smiley'],
        ['Amy', 'Smithers'],
      ] as const;
      const now = t.clock.now();
      const rows = names.map(([givenName, familyName], i) => ({
        userId: `90000000000${i}`,
        givenName,
        familyName,
        dateOfBirth: '1980-01-01',
        status: 'active' as const,
        ...nameKeys(givenName, familyName),
        createdAt: now,
        updatedAt: now,
      }));
      const made = await t.db.insert(people).values(rows).returning({ id: people.id });
      await t.db
        .insert(personOrganisations)
        .values(made.map(({ id }) => ({ personId: id, odsCode: 'RWG01' })));
      const expected = [
        'Carl Jones-Smith',
        'Smita Kapoor',
        'Dan Smiley',
        'Amy Smith',
        'Zed Smith',
        'Amy Smithers',
        'Bea Smithson',
        'Ola van Smirnov',
      ];
      type Page = { items: { givenName: string; familyName: string }[]; nextCursor: string | null };
      const whole = await get<Page>(agent, '/api/people?q=smi');
      expect(whole.items.map((p) => `${p.givenName} ${p.familyName}`)).toEqual(expected);
      // Two letters give no trigram, so the word inside "Jones-Smith" is then found the other
      // way, by reading the names with a break in order: the same answer.
      const short = await get<Page>(agent, '/api/people?q=sm');
      expect(short.items.map((p) => `${p.givenName} ${p.familyName}`)).toEqual(expected);
      const paged: string[] = [];
      let page = await get<Page>(agent, '/api/people?q=smi&limit=3');
      for (;;) {
        expect(page.items.length).toBeLessThanOrEqual(3);
        paged.push(...page.items.map((p) => `${p.givenName} ${p.familyName}`));
        if (!page.nextCursor) break;
        page = await get<Page>(
          agent,
          `/api/people?q=smi&limit=3&cursor=${encodeURIComponent(page.nextCursor)}`,
        );
      }
      expect(paged).toEqual(expected);
      // The family name's range holds "Smith Amy" for "smith a", not "Smithers".
      expect(
        (await get<Page>(agent, '/api/people?q=smith%20a')).items.map((p) => p.familyName),
      ).toEqual(['Smith']);
      expect(
        (await get<Page>(agent, '/api/people?q=amy%20smith')).items.map((p) => p.familyName),
      ).toEqual(['Smith', 'Smithers']);
    });

    it('finds a user ID with or without its spaces', async () => {
      const id = await demoPersonId(t, 'Priya');
      const { userId } = await get<{ userId: string }>(agent, `/api/people/${id}`);
      expect(userId).toMatch(/^\d{4} \d{4} \d{4}$/);
      expect((await find(agent, userId)).map((p) => p.id)).toEqual([id]);
      expect((await find(agent, userId.replaceAll(' ', ''))).map((p) => p.id)).toEqual([id]);
    });

    it('finds a card holder by the serial, whole or its start, for those who read cards', async () => {
      const id = await demoPersonId(t, 'Priya');
      const now = t.clock.now();
      const serial = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
      await t.db
        .insert(cards)
        .values({ serial, personId: id, state: 'active', createdAt: now, updatedAt: now });
      expect((await find(agent, serial)).map((p) => p.id)).toEqual([id]);
      expect((await find(agent, serial.toLowerCase())).map((p) => p.id)).toEqual([id]);
      expect((await find(sponsor, serial.slice(0, 8))).map((p) => p.id)).toEqual([id]);
      // Too short to be taken for a serial; and an ID checker does not see cards at all.
      expect(await find(agent, serial.slice(0, 5))).toEqual([]);
      expect(await find(idchecker, serial)).toEqual([]);
      // The LSA of RWG02 reads cards, but Priya works at RWG01.
      expect(await find(lsa, serial)).toEqual([]);
      await t.db.delete(cards).where(eq(cards.serial, serial));
    });
  });

  describe('actions', () => {
    it("offers each caller what they may do to a person, and nothing on one's own record", async () => {
      const priya = await demoPersonId(t, 'Priya');
      expect((await person(manager, priya)).actions.sort()).toEqual(
        ['assignPosition', 'close', 'edit', 'requestPosition', 'suspend'].sort(),
      );
      expect((await person(idchecker, priya)).actions).toEqual(['edit']);
      expect((await person(sponsor, priya)).actions.sort()).toEqual(
        ['assignPosition', 'requestPosition'].sort(),
      );
      const tomasz = await demoPersonId(t, 'Tomasz');
      expect((await person(lsa, tomasz)).actions).toEqual([]);
      const own = await demoPersonId(t, 'Morgan');
      expect((await person(manager, own)).actions).toEqual([]);
    });

    it('offers the identity check for a person waiting for one, to those who check identity', async () => {
      const res = await post(t, idchecker, '/api/people', {
        givenName: 'Pending',
        familyName: 'Actions',
        dateOfBirth: '1990-01-02',
        odsCodes: ['RWG01'],
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      expect((await person(idchecker, id)).actions.sort()).toEqual(
        ['edit', 'recordIdentityCheck'].sort(),
      );
      expect((await person(agent, id)).actions.sort()).toEqual(
        ['close', 'edit', 'recordIdentityCheck'].sort(),
      );
    });

    it("offers removal of a held position to RA users of the position's organisation only", async () => {
      const { id } = await registerActivePerson(t, idchecker, {
        givenName: 'Hilda',
        familyName: 'Holder',
        passport: 'H4000001',
      });
      const clerk = await demoPositionId(t, 'Ward Clerk');
      const res = await post(t, agent, `/api/people/${id}/assignments`, { positionId: clerk });
      expect(res.status, await res.clone().text()).toBe(201);
      const held = async (who: SignedIn) =>
        (await person(who, id)).assignments.map((a) => ({ state: a.state, actions: a.actions }));
      expect(await held(manager)).toEqual([{ state: 'active', actions: ['remove'] }]);
      expect(await held(sponsor)).toEqual([{ state: 'active', actions: [] }]);
      const removed = await post(
        t,
        agent,
        `/api/people/${id}/assignments/${(await person(agent, id)).assignments[0]?.id}/remove`,
        {
          note: 'Moved to another ward',
        },
      );
      expect(removed.status, await removed.clone().text()).toBe(204);
      expect(await held(manager)).toEqual([{ state: 'removed', actions: [] }]);
    });
  });

  describe('positions a person may be given', () => {
    type Item = { name: string; odsCode: string; actions: string[] };
    const assignable = async (who: SignedIn, id: string, status = 200) =>
      get<{ items: Item[] }>(who, `/api/people/${id}/assignable-positions`, status);

    it('lists what fits the person and the caller may give, and how', async () => {
      const created = await registerActivePerson(t, idchecker, {
        givenName: 'Fenella',
        familyName: 'Fitting',
        passport: 'F1000001',
      });
      const all = (await assignable(manager, created.id)).items;
      expect(all.map((p) => p.name).sort()).toEqual(
        ['Consultant Physician', 'Staff Nurse, Acute Medical Unit', 'Ward Clerk'].sort(),
      );
      for (const p of all) expect(p.actions).toEqual(['assign', 'request']);
      // The sponsor of RWG01 assigns only what is marked assignable, and may ask for the rest.
      const bySponsor = Object.fromEntries(
        (await assignable(sponsor, created.id)).items.map((p) => [p.name, p.actions]),
      );
      expect(bySponsor).toEqual({
        'Consultant Physician': ['request'],
        'Staff Nurse, Acute Medical Unit': ['assign', 'request'],
        'Ward Clerk': ['assign', 'request'],
      });
      // Once held, a position is not offered again.
      const clerk = await demoPositionId(t, 'Ward Clerk');
      const res = await post(t, sponsor, `/api/people/${created.id}/assignments`, {
        positionId: clerk,
      });
      expect(res.status, await res.clone().text()).toBe(201);
      expect((await assignable(manager, created.id)).items.map((p) => p.name)).not.toContain(
        'Ward Clerk',
      );
    });

    it("offers a site's positions only to people who work there or at its trust", async () => {
      const tomasz = await demoPersonId(t, 'Tomasz');
      expect((await assignable(manager, tomasz)).items.map((p) => p.name)).toEqual([
        'Outpatient Receptionist',
      ]);
      // The sponsor of RWG01 does not see Tomasz of RWG02 at all.
      const error = (await assignable(sponsor, tomasz, 404)) as unknown as {
        error: { code: string };
      };
      expect(error.error.code).toBe('NOT_FOUND');
    });

    it('offers only requests on one’s own record, and nothing for a person not yet active', async () => {
      const own = await demoPersonId(t, 'Morgan');
      const mine = (await assignable(manager, own)).items;
      expect(mine.map((p) => p.name).sort()).toEqual(
        [
          'Consultant Physician',
          'Outpatient Receptionist',
          'Staff Nurse, Acute Medical Unit',
          'Ward Clerk',
        ].sort(),
      );
      for (const p of mine) expect(p.actions).toEqual(['request']);
      const res = await post(t, idchecker, '/api/people', {
        givenName: 'Penelope',
        familyName: 'Waiting',
        dateOfBirth: '1992-03-04',
        odsCodes: ['RWG01'],
      });
      const { id } = (await res.json()) as { id: string };
      expect((await assignable(manager, id)).items).toEqual([]);
    });
  });

  describe('suspend, reactivate, close', () => {
    it('suspends with a reason, audited, and refuses positions while suspended', async () => {
      const { id } = await registerActivePerson(t, idchecker, {
        givenName: 'Susannah',
        familyName: 'Pendle',
        passport: 'S2000001',
      });
      const missing = await post(t, agent, `/api/people/${id}/suspend`, {});
      const problem = await errorOf(missing, 400);
      expect(problem.details).toEqual([expect.objectContaining({ field: 'reason' })]);

      const res = await post(t, agent, `/api/people/${id}/suspend`, {
        reason: 'On long-term leave from Monday',
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const suspended = (await res.json()) as PersonBody;
      expect(suspended.status).toBe('suspended');
      expect(suspended.actions.sort()).toEqual(['close', 'edit', 'reactivate'].sort());
      const events = await auditOf(id);
      expect(events.find((e) => e.action === 'person.suspended')?.summary).toMatchObject({
        from: 'active',
        reason: 'On long-term leave from Monday',
      });

      const again = await post(t, agent, `/api/people/${id}/suspend`, { reason: 'Once more' });
      expect((await errorOf(again, 409)).code).toBe('CONFLICT');
      const clerk = await demoPositionId(t, 'Ward Clerk');
      const assign = await post(t, agent, `/api/people/${id}/assignments`, { positionId: clerk });
      expect(assign.status).toBe(409);

      const back = await post(t, agent, `/api/people/${id}/reactivate`, {
        reason: 'Back from leave',
      });
      expect(back.status, await back.clone().text()).toBe(200);
      expect(((await back.json()) as PersonBody).status).toBe('active');
      expect((await auditOf(id)).map((e) => e.action)).toContain('person.reactivated');
    });

    it('keeps status changes from ID checkers and from oneself', async () => {
      const priya = await demoPersonId(t, 'Priya');
      const byChecker = await post(t, idchecker, `/api/people/${priya}/suspend`, {
        reason: 'Not an ID checker’s call',
      });
      expect((await errorOf(byChecker, 403)).code).toBe('FORBIDDEN');
      const own = await demoPersonId(t, 'Alex');
      const byOneself = await post(t, agent, `/api/people/${own}/close`, {
        reason: 'Closing my own record',
      });
      expect((await errorOf(byOneself, 403)).code).toBe('SEPARATION_OF_DUTIES');
      expect((await person(manager, priya)).status).toBe('active');
      expect((await person(manager, own)).status).toBe('active');
    });

    it('closes a person: positions end, requests are withdrawn, the login is disabled, for good', async () => {
      const created = await registerActivePerson(t, idchecker, {
        givenName: 'Clement',
        familyName: 'Leaver',
        passport: 'C3000001',
        username: 'clement.leaver',
      });
      const activation = created.activation;
      if (!activation) throw new Error('no activation code');
      const password = 'a-long-passphrase-9';
      const activated = await t.app.request('/api/auth/activate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'clement.leaver', code: activation.code, password }),
      });
      expect(activated.status).toBe(204);
      const session = await t.login('clement.leaver', password);
      const nurse = await demoPositionId(t, 'Staff Nurse, Acute Medical Unit');
      const consultant = await demoPositionId(t, 'Consultant Physician');
      expect(
        (await post(t, agent, `/api/people/${created.id}/assignments`, { positionId: nurse }))
          .status,
      ).toBe(201);
      const raised = await post(t, agent, '/api/requests', {
        personId: created.id,
        positionId: consultant,
        note: 'Covering nights',
      });
      expect(raised.status, await raised.clone().text()).toBe(201);
      const { id: requestId } = (await raised.json()) as { id: string };

      const res = await post(t, agent, `/api/people/${created.id}/close`, {
        reason: 'Left the trust on Friday',
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const closed = (await res.json()) as PersonBody;
      expect(closed.status).toBe('closed');
      expect(closed.actions).toEqual([]);
      expect(closed.assignments).toEqual([
        expect.objectContaining({
          state: 'person_closed',
          endNote: 'Left the trust on Friday',
          actions: [],
        }),
      ]);
      const request = await get<{ status: string; decisionReason: string }>(
        manager,
        `/api/requests/${requestId}`,
      );
      expect(request).toMatchObject({
        status: 'withdrawn',
        decisionReason: 'Person closed: Left the trust on Friday',
      });
      // The session ends with the login, and the login no longer works.
      expect((await t.app.request('/api/me', { headers: session.headers })).status).toBe(401);
      await expect(t.login('clement.leaver', password)).rejects.toThrow(/401/);
      const event = (await auditOf(created.id)).find((e) => e.action === 'person.closed');
      expect(event?.summary).toMatchObject({
        from: 'active',
        reason: 'Left the trust on Friday',
        loginDisabled: true,
        requestsWithdrawn: [requestId],
      });

      // Closed is final: no reopening, no edits, no second close.
      for (const verb of ['reactivate', 'suspend', 'close']) {
        const refused = await post(t, manager, `/api/people/${created.id}/${verb}`, {
          reason: 'Trying anyway',
        });
        expect((await errorOf(refused, 409)).code, verb).toBe('CONFLICT');
      }
      const edit = await t.app.request(`/api/people/${created.id}`, {
        method: 'PATCH',
        headers: manager.headers,
        body: JSON.stringify({ phone: '01000 000001' }),
      });
      expect((await errorOf(edit, 409)).code).toBe('CONFLICT');
    });

    it("leaves an RA staff member's record to the RA manager: no agent locks a colleague out", async () => {
      const ada = await demoPersonId(t, 'Ada'); // RA agent (advanced), with a login
      const offered = (await person(agent, ada)).actions;
      for (const action of ['edit', 'suspend', 'close']) expect(offered).not.toContain(action);
      for (const verb of ['suspend', 'close']) {
        const res = await post(t, agent, `/api/people/${ada}/${verb}`, {
          reason: 'Trying to lock a colleague out',
        });
        expect((await errorOf(res, 403)).message).toMatch(/only an RA manager/);
      }
      // An ID checker edits people's details, but not where an RA colleague's codes are sent.
      const edit = await t.app.request(`/api/people/${ada}`, {
        method: 'PATCH',
        headers: idchecker.headers,
        body: JSON.stringify({ email: 'somewhere.else@example.org' }),
      });
      expect((await errorOf(edit, 403)).message).toMatch(/only an RA manager/);
      expect(await t.login('advanced')).toBeTruthy();
      // Their manager may.
      expect((await person(manager, ada)).actions).toEqual(
        expect.arrayContaining(['edit', 'suspend', 'close']),
      );
      const suspended = await post(t, manager, `/api/people/${ada}/suspend`, {
        reason: 'On leave for a month',
      });
      expect(suspended.status, await suspended.clone().text()).toBe(200);
      const back = await post(t, manager, `/api/people/${ada}/reactivate`, {
        reason: 'Back from leave',
      });
      expect(back.status, await back.clone().text()).toBe(200);
    });

    it('keeps the history of a change made through an id in capitals', async () => {
      const { id } = await registerActivePerson(t, idchecker, {
        givenName: 'Capitolina',
        familyName: 'Upton',
        passport: 'K9000009',
      });
      const res = await post(t, agent, `/api/people/${id.toUpperCase()}/suspend`, {
        reason: 'Asked for a break',
      });
      expect(res.status, await res.clone().text()).toBe(200);
      expect((await auditOf(id)).map((e) => e.action)).toContain('person.suspended');
      const history = await get<{ items: { action: string }[] }>(
        manager,
        `/api/audit?person=${id.toUpperCase()}`,
      );
      expect(history.items.map((e) => e.action)).toContain('person.suspended');
    });

    it('no longer changes status through an edit', async () => {
      const priya = await demoPersonId(t, 'Priya');
      const res = await t.app.request(`/api/people/${priya}`, {
        method: 'PATCH',
        headers: manager.headers,
        body: JSON.stringify({ status: 'closed' }),
      });
      expect(res.status).toBe(400);
      expect((await person(manager, priya)).status).toBe('active');
    });
  });

  describe('document types', () => {
    it('lists the e-GIF documents, photo IDs first, to those who check identity', async () => {
      const { items } = await get<{ items: { type: string; label: string; category: string }[] }>(
        idchecker,
        '/api/document-types',
      );
      expect(items[0]).toEqual({ type: 'passport', label: 'Passport', category: 'photo_id' });
      expect(new Set(items.map((d) => d.category))).toEqual(
        new Set(['photo_id', 'proof_of_address', 'other']),
      );
      expect(items.map((d) => d.type)).toContain('utility_bill');
      const refused = await t.app.request('/api/document-types', { headers: lsa.headers });
      expect(refused.status).toBe(403);
    });
  });
});
