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
  async function accountWith(username: string, role: RoleName, odsCode: string) {
    const { activation } = await createAccount(t.ctx, {
      username,
      displayName: `${username} Test`,
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
    siteChecker = await accountWith('site.checker', 'id_checker', 'RWG02');
    otherTrustAgent = await accountWith('other.agent', 'ra_agent', 'RXX');
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

  it('refuses an ID checker of a sister site, changing nothing and auditing no success', async () => {
    const id = await register('Rhona', ['RWG01']);
    const before = await read(id);

    const check = await post(t, siteChecker, `/api/people/${id}/identity-check`, {
      documents: egifDocuments('S1000001'),
    });
    expect(await errorOf(check, 403)).toMatchObject({
      code: 'FORBIDDEN',
      message: 'You can check the identity of people only for your own organisations, not RWG01.',
    });
    const edit = await patch(siteChecker, id, { familyName: 'Changed', phone: '01923 000000' });
    expect(await errorOf(edit, 403)).toMatchObject({
      code: 'FORBIDDEN',
      message: 'You can edit people only for your own organisations, not RWG01.',
    });

    const after = await read(id);
    expect(after).toEqual(before);
    expect(after.status).toBe('pending_id_check');
    expect(after.familyName).toBe('Scope');
    const actions = await auditActions(id);
    expect(actions).toContain('person.registered');
    expect(actions).not.toContain('person.updated');
    expect(actions).not.toContain('person.identity_checked');
  });

  it('refuses an RA agent of another trust', async () => {
    const id = await register('Ruth', ['RWG01', 'RWG02']);
    const before = await read(id);
    const check = await post(t, otherTrustAgent, `/api/people/${id}/identity-check`, {
      documents: egifDocuments('S1000002'),
    });
    expect((await errorOf(check, 403)).message).toBe(
      'You can check the identity of people only for your own organisations, not RWG01, RWG02.',
    );
    const edit = await patch(otherTrustAgent, id, { status: 'closed' });
    expect((await errorOf(edit, 403)).message).toBe(
      'You can edit people only for your own organisations, not RWG01, RWG02.',
    );
    expect(await read(id)).toEqual(before);
    const actions = await auditActions(id);
    expect(actions).not.toContain('person.updated');
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
  it("finds and shows people only of the caller's organisations, or who asked them for something", async () => {
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
      const error = await errorOf(await view(who), 403);
      expect(error.message).toContain('not in your organisations');
      expect((await view(who, '/assignments')).status).toBe(403);
    }
    // A person of the trust (RWG) who asks for an RWG01 position: the RWG01 sponsor deciding
    // it may see them, though RWG itself is not the sponsor's.
    const asker = await register('Ives', ['RWG']);
    const checked = await post(t, idchecker, `/api/people/${asker}/identity-check`, {
      documents: egifDocuments('S1000009'),
    });
    expect(checked.status, await checked.clone().text()).toBe(200);
    expect((await t.app.request(`/api/people/${asker}`, { headers: sponsor.headers })).status).toBe(
      403,
    );
    const positions = (
      await (
        await t.app.request('/api/positions?status=active', { headers: manager.headers })
      ).json()
    ).items as { id: string; name: string }[];
    const clerk = positions.find((p) => p.name === 'Ward Clerk');
    const raised = await post(t, manager, '/api/requests', {
      personId: asker,
      positionId: clerk?.id,
    });
    expect(raised.status, await raised.clone().text()).toBe(201);
    expect((await t.app.request(`/api/people/${asker}`, { headers: sponsor.headers })).status).toBe(
      200,
    );
  });
});
