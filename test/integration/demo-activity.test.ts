import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/audit.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { people } from '../../db/schema/people.ts';
import { seedDemoActivity } from '../../server/services/demo/seed-demo-activity.ts';
import { CaUnavailableError } from '../../server/services/pki/publish-crl.ts';
import { testDrivers } from '../support/databases.ts';
import { seedDemoMorning } from '../support/demo-morning.ts';
import { opensslWorkbench, pem } from '../support/openssl.ts';
import { demoPersonId } from '../support/people.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';

/** `npm start`'s demo: the trust, then a morning's work that every screen can show. */
describe.each(testDrivers)('the demo morning (%s)', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver);
    await seedDemoMorning(t);
  });
  afterAll(() => t.close());

  const get = async <T>(who: SignedIn, path: string): Promise<T> => {
    const res = await t.app.request(path, { headers: who.headers });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  interface Flag {
    kind: string;
    person: { displayName: string } | null;
    bucket: string | null;
    systems: string[];
  }
  const flagsAs = async (username: string) =>
    (await get<{ items: Flag[] }>(await t.login(username), '/api/flags')).items.map((f) => ({
      kind: f.kind,
      holder: f.person?.displayName ?? null,
      bucket: f.bucket,
    }));

  it('gives the RA manager a flag of each kind, for the cards seen at the demo desk', async () => {
    const flags = await flagsAs('manager');
    expect(flags).toHaveLength(7);
    expect(flags).toEqual(
      expect.arrayContaining([
        { kind: 'pin_blocked', holder: 'Zoë Ó Briain', bucket: null },
        { kind: 'certificate_expired', holder: 'Tomasz Nowak', bucket: 'expired' },
        { kind: 'certificate_expiring', holder: 'Priya Patel', bucket: '7' },
        { kind: 'certificate_expiring', holder: 'Sky Staff', bucket: '60' },
        { kind: 'pin_last_try', holder: 'Sky Staff', bucket: null },
        { kind: 'unknown_card', holder: null, bucket: null },
        { kind: 'foreign_certificate', holder: null, bucket: null },
      ]),
    );
  });

  it("shows the sponsor only their own organisation's people", async () => {
    const holders = new Set((await flagsAs('sponsor')).map((f) => f.holder));
    expect([...holders].sort()).toEqual(['Priya Patel', 'Sky Staff', 'Zoë Ó Briain']);
  });

  it("leaves Sky's request waiting in the sponsor's inbox, and positions held", async () => {
    const sponsor = await t.login('sponsor');
    const inbox = await get<{ items: { status: string; position: { name: string } }[] }>(
      sponsor,
      '/api/requests?view=inbox',
    );
    expect(inbox.items.map((r) => [r.status, r.position.name])).toEqual([
      ['open', 'Staff Nurse, Acute Medical Unit'],
    ]);
    const sky = await get<{ assignments: { state: string; position: { name: string } }[] }>(
      await t.login('staff'),
      '/api/me/person',
    );
    expect(sky.assignments.map((a) => [a.state, a.position.name])).toEqual([
      ['active', 'Ward Clerk'],
    ]);
  });

  it("shows a person's cards to those who read cards, and to the holder, and not to an ID checker", async () => {
    interface Card {
      state: string;
      certificates: { daysLeft: number }[];
      lastSeen: { workstation: string } | null;
      openFlags: string[];
    }
    const priyaId = await demoPersonId(t, 'Priya');
    const asManager = await get<{ cards: Card[] }>(
      await t.login('manager'),
      `/api/people/${priyaId}`,
    );
    expect(asManager.cards).toEqual([
      expect.objectContaining({
        state: 'active',
        certificates: [expect.objectContaining({ daysLeft: 5, revoked: false })],
        lastSeen: expect.objectContaining({ workstation: 'RA desk 1 (demo)' }),
        openFlags: ['certificate_expiring'],
      }),
    ]);
    const checked = await get<{ identityCheck: { checkedBy: string } | null }>(
      await t.login('manager'),
      `/api/people/${await demoPersonId(t, 'Ivy')}`,
    );
    // Everyone's identity was checked; the ID checker's own by the RA manager.
    expect(checked.identityCheck?.checkedBy).toBe('Morgan Manager');
    const asChecker = await get<{ cards: Card[] }>(
      await t.login('idchecker'),
      `/api/people/${priyaId}`,
    );
    expect(asChecker.cards).toEqual([]);
    const sky = await get<{ cards: Card[] }>(await t.login('staff'), '/api/me/person');
    expect(sky.cards.map((c) => [...c.openFlags].sort())).toEqual([
      ['certificate_expiring', 'pin_last_try'],
    ]);
  });

  it('has an enrolled desk workstation, and an audit trail that verifies', async () => {
    const manager = await t.login('manager');
    const list = await get<{ items: { name: string; status: string }[] }>(
      manager,
      '/api/workstations',
    );
    expect(list.items.map((w) => [w.name, w.status])).toEqual([['RA desk 1 (demo)', 'enrolled']]);
    const verify = await get<{ ok: boolean; checked: number }>(manager, '/api/audit/verify');
    expect(verify.ok).toBe(true);
    const actions = await get<{ items: { action: string }[] }>(manager, '/api/audit?limit=100');
    expect(actions.items.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'person.identity_checked',
        'request.raised',
        'workstation.enrolled',
        'card.flag_raised',
      ]),
    );
  });

  it("leaves a new starter waiting on the ID checker's home page", async () => {
    const { sections } = await get<{
      sections: { kind: string; count: number; items: { name: string }[] }[];
    }>(await t.login('idchecker'), '/api/worklist');
    const checks = sections.find((s) => s.kind === 'identityChecks');
    expect(checks?.count).toBe(1);
    expect(checks?.items.map((i) => i.name)).toEqual(['Amara Okafor']);
  });

  it("issues the demo's cards from its own CA: they chain, and the lost and missing cards are on the CRL", async () => {
    const bench = opensslWorkbench('ra-demo-ca-');
    const fetched = async (path: string) => {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    };
    const root = bench.file(pem(await fetched('/pki/root.crt')));
    const issuing = bench.file(pem(await fetched('/pki/issuing.crt')));
    const crl = bench.file(pem(await fetched('/pki/issuing.crl'), 'X509 CRL'));
    const attime = String(Math.floor(t.clock.now().getTime() / 1000) + 60);
    const rows = await t.db
      .select({
        given: people.givenName,
        state: cards.state,
        reason: cards.stateReason,
        serialNumber: certificates.serialNumber,
        slot: certificates.slot,
        revocation: certificates.revocationReason,
        der: certificates.der,
      })
      .from(certificates)
      .innerJoin(cards, eq(cards.id, certificates.cardId))
      .innerJoin(people, eq(people.id, cards.personId));
    const verdicts = [];
    for (const r of rows) {
      if (!r.der) throw new Error(`${r.given}'s certificate has no DER`);
      const { output } = await bench.run([
        'verify',
        '-attime',
        attime,
        '-crl_check',
        '-CAfile',
        root,
        '-untrusted',
        issuing,
        '-CRLfile',
        crl,
        bench.file(pem(r.der)),
      ]);
      const said = /: OK/.test(output)
        ? 'OK'
        : (/error \d+ at \d+ depth lookup: ([^\n]+)/.exec(output)?.[1] ?? output);
      verdicts.push([r.given, r.state, r.reason, r.slot, r.revocation, said]);
    }
    expect(verdicts.sort()).toEqual(
      [
        ['Lee', 'cancelled', 'lost', '9a', 'keyCompromise', 'certificate revoked'],
        ['Lee', 'cancelled', 'lost', '9c', 'keyCompromise', 'certificate revoked'],
        ['Priya', 'active', null, '9a', null, 'OK'],
        ['Sam', 'suspended', 'reported_missing', '9a', 'certificateHold', 'certificate revoked'],
        ['Sam', 'suspended', 'reported_missing', '9c', 'certificateHold', 'certificate revoked'],
        ['Sky', 'active', null, '9a', null, 'OK'],
        ['Tomasz', 'active', null, '9a', null, 'certificate has expired'],
        ['Zoë', 'active', null, '9a', null, 'OK'],
      ].sort(),
    );
    const listed = await bench.run(['crl', '-in', crl, '-noout', '-text', '-CAfile', issuing]);
    expect(listed.output).toMatch(/verify OK/);
    for (const r of rows.filter((row) => row.revocation)) {
      expect(listed.output).toMatch(
        new RegExp(
          `Serial Number: ${r.serialNumber.toUpperCase()}[\\s\\S]*?${r.revocation === 'keyCompromise' ? 'Key Compromise' : 'Certificate Hold'}`,
        ),
      );
    }
    // The cards' moves are in the trail, as the RA agent's.
    const moves = await t.db
      .select({ action: auditEvents.action, actor: auditEvents.actorUsername })
      .from(auditEvents)
      .where(inArray(auditEvents.action, ['card.cancel', 'card.suspend']));
    expect(moves.sort((a, b) => a.action.localeCompare(b.action))).toEqual([
      { action: 'card.cancel', actor: 'agent' },
      { action: 'card.suspend', actor: 'agent' },
    ]);
  });

  it('keeps blank cards in two locations, imported by the RA manager', async () => {
    const stock = await get<{
      locations: {
        location: { name: string; organisation: { odsCode: string } };
        counts: { in_stock: number };
      }[];
    }>(await t.login('manager'), '/api/card-stock');
    expect(
      stock.locations.map((l) => [
        l.location.organisation.odsCode,
        l.location.name,
        l.counts.in_stock,
      ]),
    ).toEqual([
      ['RWG01', 'RA office safe', 12],
      ['RWG02', 'Ward office cabinet', 5],
    ]);
  });

  it('refuses to seed without a CA, saying so, and writes nothing', async () => {
    const bare = await createTestApp(driver);
    try {
      const count = async () => ({
        cards: (await bare.db.select().from(cards)).length,
        events: (await bare.db.select().from(auditEvents)).length,
      });
      const before = await count();
      const failure = await seedDemoActivity(bare.ctx, {
        login: bare.config.login,
        documentHashKey: bare.config.documentHashKey ?? '',
      }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(CaUnavailableError);
      expect((failure as Error).message).toMatch(/issued by its own certificate authority/);
      expect(await count()).toEqual(before);
    } finally {
      await bare.close();
    }
  });
});
