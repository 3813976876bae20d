import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleName } from '../../db/schema/accounts.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { createAccount } from '../../server/services/accounts/create-account.ts';
import { testDrivers } from '../support/databases.ts';
import { egifDocuments, post } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

/**
 * Editing a person and checking their identity are kept to the actor's organisations, as
 * registering them is: a role held for a trust covers its sites, one held for a site does not
 * reach its sister sites, and one held for another trust reaches nothing of this one.
 */
describe.each(testDrivers)('people are edited and checked only in scope (%s)', (driver) => {
  let t: TestApp;
  let idchecker: SignedIn;
  let manager: SignedIn;
  /** An ID checker whose role is held for RWG02 only. */
  let siteChecker: SignedIn;
  /** An RA agent of another trust, RXX. */
  let otherTrustAgent: SignedIn;

  /** An account with one role, made as the deployer's CLI makes it, activated and signed in. */
  async function accountWith(
    username: string,
    displayName: string,
    role: RoleName,
    odsCode: string,
  ) {
    const { activation } = await createAccount(t.ctx, {
      username,
      // A person's name, not the username: the run's log check looks for names in the logs,
      // and the access log rightly names the signed-in username.
      displayName,
      roles: [{ role, odsCode }],
    });
    const password = 'correct horse battery';
    const res = await t.app.request('/api/auth/activate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, code: activation.code, password }),
    });
    expect(res.status, await res.clone().text()).toBe(204);
    return t.login(username, password);
  }

  beforeAll(async () => {
    t = await createTestApp(driver);
    idchecker = await t.login('idchecker');
    manager = await t.login('manager');
    await t.db.insert(organisations).values({ odsCode: 'RXX', name: 'Another Trust' });
    siteChecker = await accountWith('site.checker', 'Sidonie Westerby', 'id_checker', 'RWG02');
    otherTrustAgent = await accountWith('other.agent', 'Ottoline Farrant', 'ra_agent', 'RXX');
  });
  afterAll(() => t.close());

  const register = async (givenName: string, odsCodes: string[]) => {
    const res = await post(t, idchecker, '/api/people', {
      givenName,
      familyName: 'Scope',
      dateOfBirth: '1988-03-04',
      odsCodes,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const patch = (who: SignedIn, id: string, body: unknown) =>
    t.app.request(`/api/people/${id}`, {
      method: 'PATCH',
      headers: who.headers,
      body: JSON.stringify(body),
    });
  const read = async (id: string) =>
    (await t.app.request(`/api/people/${id}`, { headers: manager.headers })).json();
  const auditActions = async (id: string) => {
    const res = await t.app.request(`/api/audit?subjectType=person&subjectId=${id}`, {
      headers: manager.headers,
    });
    expect(res.status).toBe(200);
    return ((await res.json()).items as { action: string }[]).map((e) => e.action);
  };
  const errorOf = async (res: Response, status: number) => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()).error as { code: string; message: string };
  };

  // Out of scope is answered as absent (services/access/actor-scope.ts): the same 404 and
  // message as for an id that names nobody.
  const absent = { code: 'NOT_FOUND', message: 'There is no such person.' };
  const nobody = '00000000-0000-4000-8000-000000000000';

  it('answers an ID checker of a sister site as for nobody, changing nothing and auditing no success', async () => {
    const id = await register('Rhona', ['RWG01']);
    const before = await read(id);

    const check = await post(t, siteChecker, `/api/people/${id}/identity-check`, {
      documents: egifDocuments('S1000001'),
    });
    expect(await errorOf(check, 404)).toMatchObject(absent);
    const edit = await patch(siteChecker, id, { familyName: 'Changed', phone: '01923 000000' });
    expect(await errorOf(edit, 404)).toMatchObject(absent);
    // Word for word what a person who does not exist gets.
    const none = await patch(siteChecker, nobody, { familyName: 'Changed' });
    expect(await errorOf(none, 404)).toMatchObject(absent);

    const after = await read(id);
    expect(after).toEqual(before);
    expect(after.status).toBe('pending_id_check');
    expect(after.familyName).toBe('Scope');
    const actions = await auditActions(id);
    expect(actions).toContain('person.registered');
    expect(actions).not.toContain('person.updated');
    expect(actions).not.toContain('person.identity_checked');
  });

  it('answers an RA agent of another trust as for nobody', async () => {
    const id = await register('Ruth', ['RWG01', 'RWG02']);
    const before = await read(id);
    const check = await post(t, otherTrustAgent, `/api/people/${id}/identity-check`, {
      documents: egifDocuments('S1000002'),
    });
    expect(await errorOf(check, 404)).toMatchObject(absent);
    const edit = await patch(otherTrustAgent, id, { phone: '01000 000000' });
    expect(await errorOf(edit, 404)).toMatchObject(absent);
    const close = await post(t, otherTrustAgent, `/api/people/${id}/close`, {
      reason: 'Closed by another trust',
    });
    expect(await errorOf(close, 404)).toMatchObject(absent);
    expect(await read(id)).toEqual(before);
    const actions = await auditActions(id);
    expect(actions).not.toContain('person.updated');
    expect(actions).not.toContain('person.closed');
    expect(actions).not.toContain('person.identity_checked');
  });

  it('lets a checker of the trust check and edit a person of one of its sites', async () => {
    const id = await register('Rosa', ['RWG01']);
    const check = await post(t, idchecker, `/api/people/${id}/identity-check`, {
      documents: egifDocuments('S1000003'),
    });
    expect(check.status, await check.clone().text()).toBe(200);
    expect((await check.json()).status).toBe('active');
    const edit = await patch(idchecker, id, { familyName: 'Scope-Jones' });
    expect(edit.status, await edit.clone().text()).toBe(200);
    expect((await edit.json()).familyName).toBe('Scope-Jones');
    const actions = await auditActions(id);
    expect(actions).toContain('person.identity_checked');
    expect(actions).toContain('person.updated');
  });

  it('lets a site checker act for a person who works at their site among others', async () => {
    const id = await register('Rita', ['RWG01', 'RWG02']);
    const check = await post(t, siteChecker, `/api/people/${id}/identity-check`, {
      documents: egifDocuments('S1000004'),
    });
    expect(check.status, await check.clone().text()).toBe(200);
    const edit = await patch(siteChecker, id, { phone: '01727 000000' });
    expect(edit.status, await edit.clone().text()).toBe(200);
    const after = await read(id);
    expect(after).toMatchObject({ status: 'active', phone: '01727 000000' });
  });
  it("finds and shows people only of the caller's organisations", async () => {
    const id = await register('Wren', ['RWG01']);
    const find = async (who: SignedIn) => {
      const res = await t.app.request('/api/people?q=wren%20scope', { headers: who.headers });
      expect(res.status).toBe(200);
      return ((await res.json()).items as { id: string }[]).map((p) => p.id);
    };
    const view = (who: SignedIn, path = '') =>
      t.app.request(`/api/people/${id}${path}`, { headers: who.headers });
    // In scope: the trust's checker and the RWG01 sponsor.
    const sponsor = await t.login('sponsor');
    expect(await find(idchecker)).toEqual([id]);
    expect(await find(sponsor)).toEqual([id]);
    expect((await view(sponsor)).status).toBe(200);
    // Out of scope: a checker of the sister site, an agent of another trust, the RWG02 LSA.
    const lsa = await t.login('lsa');
    for (const who of [siteChecker, otherTrustAgent, lsa]) {
      expect(await find(who)).toEqual([]);
      expect(await errorOf(await view(who), 404)).toMatchObject(absent);
      expect(await errorOf(await view(who, '/assignments'), 404)).toMatchObject(absent);
    }
  });

  /**
   * The sponsor leaks of issue 8: a sponsor of RWG01 could assign a position to a person of
   * the trust (RWG) they cannot read, and raising a request for such a person made their
   * whole page readable (date of birth, email, documents seen, cards).
   */
  describe('a sponsor and a person of the trust outside their site', () => {
    let sponsor: SignedIn;
    let asker: string;
    let clerk: string;
    beforeAll(async () => {
      sponsor = await t.login('sponsor');
      const registered = await post(t, idchecker, '/api/people', {
        givenName: 'Ives',
        familyName: 'Scope',
        dateOfBirth: '1979-10-21',
        email: 'ives.scope@trust.example',
        phone: '01923 111222',
        odsCodes: ['RWG'],
      });
      expect(registered.status, await registered.clone().text()).toBe(201);
      asker = ((await registered.json()) as { id: string }).id;
      const checked = await post(t, idchecker, `/api/people/${asker}/identity-check`, {
        documents: egifDocuments('S1000009'),
      });
      expect(checked.status, await checked.clone().text()).toBe(200);
      const positions = (
        await (
          await t.app.request('/api/positions?status=active', { headers: manager.headers })
        ).json()
      ).items as { id: string; name: string; assignable: boolean; odsCode: string }[];
      const found = positions.find((p) => p.name === 'Ward Clerk');
      expect(found).toMatchObject({ assignable: true, odsCode: 'RWG01' });
      clerk = found?.id ?? '';
    });
    const page = (who: SignedIn, path = '') =>
      t.app.request(`/api/people/${asker}${path}`, { headers: who.headers });

    it('cannot assign an assignable RWG01 position to them, nor see them', async () => {
      const assign = await post(t, sponsor, `/api/people/${asker}/assignments`, {
        positionId: clerk,
      });
      expect(await errorOf(assign, 404)).toMatchObject(absent);
      expect(await errorOf(await page(sponsor), 404)).toMatchObject(absent);
      expect(((await read(asker)).assignments as unknown[]).length).toBe(0);
    });

    it('cannot raise a request for them, and trying does not make them readable', async () => {
      const raised = await post(t, sponsor, '/api/requests', {
        personId: asker,
        positionId: clerk,
      });
      expect(await errorOf(raised, 404)).toMatchObject(absent);
      expect(await errorOf(await page(sponsor), 404)).toMatchObject(absent);
      const inbox = await t.app.request(`/api/requests?view=inbox&personId=${asker}`, {
        headers: sponsor.headers,
      });
      expect((await inbox.json()).items).toEqual([]);
    });

    it('sees only what deciding needs once they ask for an RWG01 position, and cannot act on them', async () => {
      const raised = await post(t, manager, '/api/requests', {
        personId: asker,
        positionId: clerk,
      });
      expect(raised.status, await raised.clone().text()).toBe(201);
      const requestId = (await raised.json()).id as string;

      const res = await page(sponsor);
      expect(res.status, await res.clone().text()).toBe(200);
      const seen = await res.json();
      expect(seen).toEqual({
        view: 'decider',
        id: asker,
        userId: expect.any(String),
        givenName: 'Ives',
        middleNames: null,
        familyName: 'Scope',
        status: 'active',
        organisations: [{ odsCode: 'RWG', name: expect.any(String) }],
        assignments: [],
      });
      const full = await read(asker);
      const body = JSON.stringify(seen);
      for (const secret of ['1979-10-21', 'ives.scope@trust.example', '01923 111222']) {
        expect(JSON.stringify(full)).toContain(secret);
        expect(body).not.toContain(secret);
      }
      for (const field of ['identityCheck', 'documents', 'cards', 'dateOfBirth', 'email']) {
        expect(body).not.toContain(field);
      }
      expect((await page(sponsor, '/assignments')).status).toBe(200);

      // Seeing them as a decider is not a licence to act on them: a 403 that says why.
      const assign = await post(t, sponsor, `/api/people/${asker}/assignments`, {
        positionId: clerk,
      });
      const refused = await errorOf(assign, 403);
      expect(refused.message).toContain('asked for a position you decide');
      const again = await post(t, sponsor, '/api/requests', { personId: asker, positionId: clerk });
      expect((await errorOf(again, 403)).message).toContain('asked for a position you decide');
      expect((await read(asker)).assignments).toEqual([]);

      // Deciding it is what the sponsor may do.
      const approved = await post(t, sponsor, `/api/requests/${requestId}/approve`, {});
      expect(approved.status, await approved.clone().text()).toBe(200);
      expect(((await read(asker)).assignments as { state: string }[])[0]?.state).toBe('active');

      // Thirty days after the decision it leaves the inbox, and the person leaves the sponsor's sight.
      t.clock.advance(31 * 86_400_000);
      sponsor = await t.login('sponsor');
      expect(await errorOf(await page(sponsor), 404)).toMatchObject(absent);
    });
  });
});
