import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations } from '../../db/schema/organisations.ts';
import { createAccount } from '../../server/services/accounts/create-account.ts';
import { withTransaction } from '../../server/services/context.ts';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import { testDrivers } from '../support/databases.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

function attempt(t: TestApp, username: string, password: string, address: string) {
  return t.app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ username, password }),
  });
}

interface FailedSignIns {
  count: number;
  addresses: { address: string | null; count: number }[];
}

async function throttles(t: TestApp, manager: SignedIn) {
  const res = await t.app.request('/api/sign-in-throttles', { headers: manager.headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Record<string, unknown>[] }).items;
}

function clear(t: TestApp, manager: SignedIn, body: object) {
  return t.app.request('/api/sign-in-throttles/clear', {
    method: 'POST',
    headers: manager.headers,
    body: JSON.stringify(body),
  });
}

describe.each(testDrivers)('a guesser at one address (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver); // the default policy
  });
  afterAll(() => t.close());

  it('is slowed with growing waits, and does not stop the holder signing in from elsewhere', async () => {
    const attacker = '203.0.113.9';
    const waits: number[] = [];
    let guesses = 0;
    while (guesses < 30) {
      const res = await attempt(t, 'sponsor', `guess-${guesses}`, attacker);
      if (res.status === 429) {
        const body = await res.json();
        expect(body.error.code).toBe('TOO_MANY_ATTEMPTS');
        const wait = Number(res.headers.get('retry-after'));
        expect(body.error.details.retryAfterSeconds).toBe(wait);
        waits.push(wait);
        // Asked to wait, the right password from there is refused unchecked.
        const right = await attempt(t, 'sponsor', demoPassword, attacker);
        expect(right.status).toBe(429);
        t.clock.advance(wait * 1000);
        continue;
      }
      expect(res.status).toBe(401);
      guesses++;
    }
    // Three free tries, then 1 s, 2 s, 4 s … until the cap of 15 minutes.
    expect(waits.slice(0, 11)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]);
    expect(waits.slice(11).every((w) => w === 900)).toBe(true);
    expect(waits).toHaveLength(27);

    // The guesser is slowed still; the holder, at another address, is not.
    expect((await attempt(t, 'sponsor', 'guess-31', attacker)).status).toBe(429);
    const holder = await attempt(t, 'sponsor', demoPassword, '10.20.0.5');
    expect(holder.status).toBe(200);

    // …and is told of the failed attempts since their last sign-in, and where they came from.
    const told = (await holder.json()).failedSignIns as FailedSignIns;
    expect(told.count).toBe(30);
    expect(told.addresses).toEqual([expect.objectContaining({ address: attacker, count: 30 })]);
    const cookie = (holder.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const me = await t.app.request('/api/me', { headers: { cookie } });
    expect(((await me.json()).failedSignIns as FailedSignIns).count).toBe(30);
    // Once told, a later sign-in has nothing new to tell.
    const later = await attempt(t, 'sponsor', demoPassword, '10.20.0.5');
    expect(((await later.json()).failedSignIns as FailedSignIns).count).toBe(0);
  }, 300_000); // 32 password checks: each costs argon2id's 64 MiB, on a shared machine seconds

  it('lets a pair that signs in start afresh, and keeps others slowed', async () => {
    const typist = '10.30.0.1';
    for (let i = 0; i < 3; i++) {
      expect((await attempt(t, 'agent', 'typo', typist)).status).toBe(401);
    }
    const slowed = await attempt(t, 'agent', demoPassword, typist);
    expect(slowed.status).toBe(429);
    expect(slowed.headers.get('retry-after')).toBe('1');
    expect((await slowed.json()).error.message).toBe(
      'Too many failed sign-in attempts. Wait 1 second and try again: this password was not checked.',
    );
    t.clock.advance(1000);
    expect((await attempt(t, 'agent', demoPassword, typist)).status).toBe(200);
    // Signed in, the pair's failures stop counting: three more tries before any wait.
    for (let i = 0; i < 3; i++) {
      expect((await attempt(t, 'agent', 'typo', typist)).status).toBe(401);
    }
    expect((await attempt(t, 'agent', 'typo', typist)).status).toBe(429);
  });

  it('slows an unknown username the same way, so waits do not reveal accounts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await attempt(t, 'nobody-by-this-name', 'x', '10.40.0.1')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe.each(testDrivers)('locks on very many failures (%s)', (driver) => {
  let t: TestApp;
  let manager: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(driver, {
      env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '10', LOGIN_MAX_FAILURES_PER_ADDRESS: '8' },
    });
    manager = await t.login('manager');
  });
  afterAll(() => t.close());

  it('locks a username failed from many addresses; the RA manager sees the lock and clears it; the holder is told', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await attempt(t, 'staff', 'wrong', `198.51.100.${i}`)).status).toBe(401);
    }
    const locked = await attempt(t, 'staff', demoPassword, '10.50.0.1');
    expect(locked.status).toBe(429);
    const wait = Number(locked.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    expect((await locked.json()).error.message).toMatch(
      /^This account is locked after many failed sign-in attempts\. Try again in \d+ minutes?, or ask the RA team to unlock it\.$/,
    );

    expect(await throttles(t, manager)).toContainEqual(
      expect.objectContaining({ kind: 'account', username: 'staff', address: null, failures: 10 }),
    );
    const cleared = await clear(t, manager, { username: 'Staff' });
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toEqual({ cleared: 10 });
    expect(await throttles(t, manager)).not.toContainEqual(
      expect.objectContaining({ username: 'staff' }),
    );
    const audit = await t.app.request('/api/audit?action=auth.sign_in_throttle_cleared', {
      headers: manager.headers,
    });
    const events = (await audit.json()).items as { actorUsername: string; summary: object }[];
    expect(events).toContainEqual(
      expect.objectContaining({
        summary: { username: 'staff', address: null, cleared: 10 },
      }),
    );

    const holder = await attempt(t, 'staff', demoPassword, '10.50.0.1');
    expect(holder.status).toBe(200);
    const told = (await holder.json()).failedSignIns as FailedSignIns;
    expect(told.count).toBe(10);
    expect(told.addresses).toHaveLength(10);

    const again = await clear(t, manager, { username: 'staff' });
    expect(again.status).toBe(404);
  }, 120_000);

  it("neither shows nor clears another trust's account, however locked", async () => {
    await t.db.insert(organisations).values({ odsCode: 'RXX', name: 'Another Trust (test)' });
    await withTransaction(t.ctx, (tx) =>
      createAccount(tx, {
        username: 'rxx.clerk',
        displayName: 'Clerk of Another Trust',
        email: null,
        roles: [{ role: 'ra_agent', odsCode: 'RXX' }],
      }),
    );
    for (let i = 0; i < 10; i++) {
      expect((await attempt(t, 'rxx.clerk', 'wrong', `198.51.102.${i}`)).status).toBe(401);
    }
    expect((await attempt(t, 'rxx.clerk', 'wrong', '198.51.102.99')).status).toBe(429);
    // RWG's manager does not see it, and clearing it is as if nothing held it back.
    expect(await throttles(t, manager)).not.toContainEqual(
      expect.objectContaining({ username: 'rxx.clerk' }),
    );
    const cleared = await clear(t, manager, { username: 'rxx.clerk' });
    expect(cleared.status).toBe(404);
    expect((await cleared.json()).error.message).toBe(
      'No failed sign-ins are holding back username rxx.clerk: nothing to clear.',
    );
    expect((await attempt(t, 'rxx.clerk', 'wrong', '198.51.102.98')).status).toBe(429);
  }, 120_000);

  it('locks an unknown username the same way, so locks do not reveal accounts', async () => {
    for (let i = 0; i < 10; i++) {
      await attempt(t, 'ghost', 'wrong', `198.51.101.${i}`);
    }
    expect((await attempt(t, 'ghost', 'wrong', '198.51.101.99')).status).toBe(429);
  }, 120_000);

  it('locks an address only for very many failures naming several usernames', async () => {
    const nat = '192.0.2.77';
    // Eight failures, but for four usernames: a busy hospital network, not a sprayer.
    for (const user of ['u1', 'u2', 'u3', 'u4']) {
      for (let i = 0; i < 2; i++) expect((await attempt(t, user, 'wrong', nat)).status).toBe(401);
    }
    expect((await attempt(t, 'u5', 'wrong', nat)).status).toBe(401);
    // Nine failures for five usernames: the address is locked, for everyone there.
    const there = await attempt(t, 'idchecker', demoPassword, nat);
    expect(there.status).toBe(429);
    expect((await there.json()).error.message).toMatch(/from your network/);
    expect((await attempt(t, 'idchecker', demoPassword, '192.0.2.78')).status).toBe(200);
    expect(await throttles(t, manager)).toContainEqual(
      expect.objectContaining({ kind: 'address', address: nat, failures: 9, accounts: 5 }),
    );
    expect((await clear(t, manager, { address: nat })).status).toBe(200);
    expect((await attempt(t, 'idchecker', demoPassword, nat)).status).toBe(200);
  }, 120_000);

  it('lists a pair made to wait, and clears just that pair', async () => {
    const address = '10.60.0.1';
    for (let i = 0; i < 3; i++) await attempt(t, 'lsa', 'wrong', address);
    expect(await throttles(t, manager)).toContainEqual(
      expect.objectContaining({ kind: 'account_address', username: 'lsa', address, failures: 3 }),
    );
    const res = await clear(t, manager, { username: 'lsa', address });
    expect(await res.json()).toEqual({ cleared: 3 });
    expect((await attempt(t, 'lsa', demoPassword, address)).status).toBe(200);
  });

  it('says what is wrong with a clear that names nobody', async () => {
    const res = await clear(t, manager, {});
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('name a username, an address, or both');
  });
});
