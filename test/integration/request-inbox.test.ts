import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, demoPositionId, post } from '../support/people.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(testDrivers)('inboxes and ending assignments (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
  });
  afterAll(() => t.close());

  it('keeps a decided request in the inbox for 30 days, and in the database after', async () => {
    const agent = await t.login('agent');
    const raised = await post(t, agent, '/api/requests', {
      personId: await demoPersonId(t, 'Priya'),
      positionId: await demoPositionId(t, 'Consultant Physician'),
    });
    const { id } = await raised.json();
    const sponsor = await t.login('sponsor');
    expect(
      (await post(t, sponsor, `/api/requests/${id}/reject`, { reason: 'Not a consultant' })).status,
    ).toBe(200);
    const inbox = async () => {
      const who = await t.login('sponsor');
      const page = await (
        await t.app.request('/api/requests?view=inbox', { headers: who.headers })
      ).json();
      return page.items.map((r: { id: string }) => r.id);
    };
    t.clock.advance(29 * 86_400_000);
    expect(await inbox()).toContain(id);
    t.clock.advance(2 * 86_400_000);
    expect(await inbox()).not.toContain(id);
    // Priya's own page still lists it: a person's history is not an inbox.
    const sponsor31 = await t.login('sponsor');
    const priyas = await (
      await t.app.request(`/api/requests?view=inbox&personId=${await demoPersonId(t, 'Priya')}`, {
        headers: sponsor31.headers,
      })
    ).json();
    expect(priyas.items.map((r: { id: string }) => r.id)).toContain(id);
    const who = await t.login('sponsor');
    expect((await t.app.request(`/api/requests/${id}`, { headers: who.headers })).status).toBe(200);
  });

  it('shows an assignment as expired once its end date has passed, and lets it be given again', async () => {
    const agent = await t.login('agent');
    const zoe = await demoPersonId(t, 'Zoë');
    const nurse = await demoPositionId(t, 'Staff Nurse, Acute Medical Unit');
    const today = t.clock.now().toISOString().slice(0, 10);
    const inAWeek = new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString().slice(0, 10);
    const made = await post(t, agent, `/api/people/${zoe}/assignments`, {
      positionId: nurse,
      startDate: today,
      endDate: inAWeek,
    });
    expect(made.status).toBe(201);
    const state = async () => {
      const who = await t.login('agent');
      const person = await (
        await t.app.request(`/api/people/${zoe}`, { headers: who.headers })
      ).json();
      return person.assignments.map((a: { state: string }) => a.state);
    };
    expect(await state()).toEqual(['active']);
    t.clock.advance(8 * 86_400_000);
    expect(await state()).toEqual(['expired']);
    const again = await post(t, await t.login('agent'), `/api/people/${zoe}/assignments`, {
      positionId: nurse,
    });
    expect(again.status, await again.clone().text()).toBe(201);
    expect(await state()).toEqual(['active', 'expired']);
  });

  it('withdraws open requests for a position when it closes, saying why', async () => {
    const agent = await t.login('agent');
    const raised = await post(t, agent, '/api/requests', {
      personId: await demoPersonId(t, 'Priya'),
      positionId: await demoPositionId(t, 'Consultant Physician'),
    });
    const { id } = await raised.json();
    const manager = await t.login('manager');
    const closed = await post(
      t,
      manager,
      `/api/positions/${await demoPositionId(t, 'Consultant Physician')}/close`,
      {
        reason: 'Consultant rota moved to another system',
      },
    );
    expect(closed.status).toBe(200);
    const request = await (
      await t.app.request(`/api/requests/${id}`, { headers: agent.headers })
    ).json();
    expect(request).toMatchObject({
      status: 'withdrawn',
      decisionReason: 'Position closed: Consultant rota moved to another system',
    });
  });

  it('removes an assignment with a note, keeping it visible as removed', async () => {
    const agent = await t.login('agent');
    const tomasz = await demoPersonId(t, 'Tomasz');
    const receptionist = await demoPositionId(t, 'Outpatient Receptionist');
    const made = await (
      await post(t, agent, `/api/people/${tomasz}/assignments`, { positionId: receptionist })
    ).json();
    const noNote = await post(t, agent, `/api/people/${tomasz}/assignments/${made.id}/remove`, {});
    expect(noNote.status).toBe(400);
    const removed = await post(t, agent, `/api/people/${tomasz}/assignments/${made.id}/remove`, {
      note: 'Left the trust',
    });
    expect(removed.status).toBe(204);
    const person = await (
      await t.app.request(`/api/people/${tomasz}`, { headers: agent.headers })
    ).json();
    expect(person.assignments).toEqual([
      expect.objectContaining({ state: 'removed', endNote: 'Left the trust' }),
    ]);
  });
});
