import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { egifDocuments, post } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(testDrivers)('from registration to access (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  it('registers, checks identity, requests, claims, approves, and audits every step', async () => {
    const checker = await t.login('idchecker');

    // 1. The ID checker registers a new starter with a login, then records three documents.
    const registered = await post(t, checker, '/api/people', {
      givenName: 'Nia',
      familyName: 'Okafor',
      dateOfBirth: '1994-03-08',
      email: 'nia.okafor@demo.nhs.example',
      odsCodes: ['RWG01'],
      username: 'nia.okafor',
    });
    expect(registered.status).toBe(201);
    const person = await registered.json();
    expect(person.userId).toMatch(/^[1-9]\d{11}$/);
    expect(person.activation.code).toMatch(/^[A-Z2-9]{12}$/);
    const pending = await (
      await t.app.request(`/api/people/${person.id}`, { headers: checker.headers })
    ).json();
    expect(pending.status).toBe('pending_id_check');
    expect(pending.userId).toMatch(/^\d{4} \d{4} \d{4}$/);

    const check = await post(t, checker, `/api/people/${person.id}/identity-check`, {
      documents: egifDocuments('NIA-PASSPORT-1'),
    });
    expect(check.status).toBe(200);
    expect(await check.json()).toMatchObject({ status: 'active' });

    // 2. The new starter activates the account and, as staff, asks for a position.
    const activated = await t.app.request('/api/auth/activate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'nia.okafor',
        code: person.activation.code,
        password: 'a-long-passphrase-1',
      }),
    });
    expect(activated.status).toBe(204);
    const nia = await t.login('nia.okafor', 'a-long-passphrase-1');
    const positionsList = await t.app.request('/api/me/person', { headers: nia.headers });
    expect(positionsList.status).toBe(200);
    const catalogue = await (
      await t.app.request('/api/positions?odsCode=RWG01&status=active&q=staff%20nurse', {
        headers: nia.headers,
      })
    ).json();
    expect(catalogue.items).toHaveLength(1);
    const positionId: string = catalogue.items[0].id;
    const raised = await post(t, nia, '/api/requests', {
      kind: 'assign',
      personId: person.id,
      positionId,
      note: 'Starting on AMU on Monday',
    });
    expect(raised.status).toBe(201);
    const request = await raised.json();
    expect(request).toMatchObject({ status: 'open', position: { odsCode: 'RWG01' } });

    // 3. The sponsor of RWG01 sees it in the inbox, claims it and approves it.
    const sponsor = await t.login('sponsor');
    const inbox = await (
      await t.app.request('/api/requests?view=inbox', { headers: sponsor.headers })
    ).json();
    expect(inbox.items.map((r: { id: string }) => r.id)).toContain(request.id);
    const claimed = await post(t, sponsor, `/api/requests/${request.id}/claim`);
    expect(claimed.status).toBe(200);
    expect((await claimed.json()).claim.by.username).toBe('sponsor');
    const approved = await post(t, sponsor, `/api/requests/${request.id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({
      status: 'approved',
      decidedBy: { username: 'sponsor' },
    });

    // 4. The assignment is active, for the person and on their own page.
    const mine = await (await t.app.request('/api/me/person', { headers: nia.headers })).json();
    expect(mine.assignments).toEqual([
      expect.objectContaining({
        state: 'active',
        position: expect.objectContaining({ id: positionId }),
      }),
    ]);
    const myRequests = await (
      await t.app.request('/api/requests?view=mine', { headers: nia.headers })
    ).json();
    expect(myRequests.items[0]).toMatchObject({ id: request.id, status: 'approved' });

    // 5. The audit trail holds every step, and the chain is whole.
    const manager = await t.login('manager');
    const audit = await (
      await t.app.request('/api/audit?limit=200', { headers: manager.headers })
    ).json();
    const actions = audit.items.map((e: { action: string }) => e.action);
    for (const step of [
      'person.registered',
      'person.identity_checked',
      'account.activated',
      'request.raised',
      'request.claimed',
      'assignment.created',
      'request.approved',
    ]) {
      expect(actions, step).toContain(step);
    }
    expect(JSON.stringify(audit)).not.toContain('NIA-PASSPORT-1');
    expect(JSON.stringify(audit)).not.toContain(person.activation.code);
    const verify = await (
      await t.app.request('/api/audit/verify', { headers: manager.headers })
    ).json();
    expect(verify).toMatchObject({ ok: true, firstBrokenId: null });
  });
});
