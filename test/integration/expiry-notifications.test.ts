import { randomBytes, webcrypto } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, positions } from '../../db/schema/access.ts';
import { notifications } from '../../db/schema/background.ts';
import { cards, certificates } from '../../db/schema/cards.ts';
import { people as peopleTable } from '../../db/schema/people.ts';
import { runJob } from '../../server/jobs/run-job.ts';
import { withTransaction } from '../../server/services/context.ts';
import { dateOf, displayDate } from '../../server/services/dates.ts';
import { initCertificateAuthority } from '../../server/services/pki/certificate-authority.ts';
import { issueCardCertificate } from '../../server/services/pki/issue-card-certificate.ts';
import { revokeCertificate } from '../../server/services/pki/revoke-certificate.ts';
import { testJobContext } from '../support/background-jobs.ts';
import { createCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { post, registerActivePerson } from '../support/people.ts';
import {
  bodyOf,
  headerOf,
  type ReceivedMail,
  type SmtpTestServer,
  startSmtpTestServer,
} from '../support/smtp-test-server.ts';
import { createTestApp, type TestApp, testCaPassphrase } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const dayMs = 86_400_000;

/** A mail as the test reads it: the envelope's recipient, the subject, the day it came. */
function summary(mail: ReceivedMail) {
  return { to: mail.to.join(','), subject: headerOf(mail.raw, 'subject') ?? '' };
}

/** A position at RWG01 opening SystmOne and e-RS, held by the person from today. */
async function givePosition(t: TestApp, personId: string) {
  const now = t.clock.now();
  const [position] = await t.db
    .insert(positions)
    .values({
      odsCode: 'RWG01',
      name: `Ward nurse ${randomBytes(3).toString('hex')}`,
      systems: ['systmone', 'ers'],
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: positions.id });
  if (!position) throw new Error('no position');
  await t.db.insert(assignments).values({
    personId,
    positionId: position.id,
    startDate: dateOf(now),
    createdAt: now,
  });
}

/** Renews a card as the renew job does: new certificates on it, the old ones superseded. */
async function renew(t: TestApp, cardId: string, personId: string) {
  const old = await t.db
    .select({ id: certificates.id })
    .from(certificates)
    .where(and(eq(certificates.cardId, cardId), isNull(certificates.revokedAt)));
  for (const profile of ['authentication', 'signature'] as const) {
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', pair.publicKey));
    await withTransaction(t.ctx, (tx) =>
      issueCardCertificate(tx, {
        cardId,
        personId,
        profile,
        subjectPublicKeyInfo: spki,
        baseUrl: 'https://ra.example.test',
        validityDays: t.config.certificateValidityDays,
        upnDomain: t.config.upnDomain,
      }),
    );
  }
  for (const cert of old) {
    await withTransaction(t.ctx, (tx) =>
      revokeCertificate(tx, { certificateId: cert.id, reason: 'superseded' }),
    );
  }
}

describe.each(testDrivers)('expiry notifications through the last 90 days (%s)', (driver) => {
  let t: TestApp;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    t = await createTestApp(driver, { env: { SMTP_URL: smtp.url, SMTP_TIMEOUT_SECONDS: '1' } });
    await initCertificateAuthority(t.ctx, {
      passphrase: testCaPassphrase,
      organisation: 'Royal Wessex Group',
    });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('tells the holder at 90, 60, 30, 7 days and on the day, copies the sponsor at 30 and 7 and the RA on expiry, once each, and falls silent after a renewal', async () => {
    const checker = await t.login('idchecker');
    const kept = await registerActivePerson(t, checker, {
      givenName: 'Priya',
      familyName: 'Keeps',
    });
    const renews = await registerActivePerson(t, checker, {
      givenName: 'Rowan',
      familyName: 'Renews',
    });
    await givePosition(t, kept.id);
    await givePosition(t, renews.id);
    const keptCard = await createCard(t, {
      state: 'active',
      personId: kept.id,
      certificates: true,
    });
    const renewsCard = await createCard(t, {
      state: 'active',
      personId: renews.id,
      certificates: true,
    });
    const [card] = await t.db
      .select({ expiresAt: cards.expiresAt })
      .from(cards)
      .where(eq(cards.id, keptCard.id));
    const expiresAt = card?.expiresAt as Date;
    const expiryDay = displayDate(dateOf(expiresAt));

    // Each day's scan an hour before the certificates' time of day: 91 days before, to the
    // day after they expired.
    const job = testJobContext(t);
    const start = expiresAt.getTime() - 91 * dayMs - 3_600_000;
    t.clock.advance(start - t.clock.now().getTime());
    const byDay: { daysLeft: number; to: string; subject: string }[] = [];
    for (let daysLeft = 91; daysLeft >= -1; daysLeft -= 1) {
      const before = smtp.received.length;
      await runJob(job, 'expiry-scan', { trigger: 'queue' });
      // Running it twice the same day sends nothing more.
      await runJob(job, 'expiry-scan', { trigger: 'queue' });
      for (const mail of smtp.received.slice(before)) byDay.push({ daysLeft, ...summary(mail) });
      if (daysLeft === 30) await renew(t, renewsCard.id, renews.id);
      t.clock.advance(dayMs);
    }

    const holder = 'priya@demo.nhs.example';
    const other = 'rowan@demo.nhs.example';
    const sponsor = 'sam.sponsor@demo.nhs.example';
    const manager = 'morgan.manager@demo.nhs.example';
    const yours = `Your smartcard expires on ${expiryDay}`;
    // Within a day the digests go in no particular order: compare each day's set.
    const inOrder = (list: typeof byDay) =>
      [...list].sort((a, b) => b.daysLeft - a.daysLeft || a.to.localeCompare(b.to));
    expect(inOrder(byDay)).toEqual(
      inOrder([
        { daysLeft: 90, to: holder, subject: yours },
        { daysLeft: 90, to: other, subject: yours },
        { daysLeft: 60, to: holder, subject: yours },
        { daysLeft: 60, to: other, subject: yours },
        { daysLeft: 30, to: holder, subject: yours },
        { daysLeft: 30, to: other, subject: yours },
        { daysLeft: 30, to: sponsor, subject: 'Smartcards expiring for 2 people you sponsor' },
        // Rowan renewed on day 30: nothing more for Rowan's old card, to anyone.
        { daysLeft: 7, to: holder, subject: yours },
        { daysLeft: 7, to: sponsor, subject: 'Smartcards expiring for 1 person you sponsor' },
        { daysLeft: 0, to: holder, subject: yours },
        { daysLeft: 0, to: manager, subject: 'Smartcards expired: 1 card' },
      ]),
    );

    // What a message says: what expires, when, the systems lost, the renewal link, and a
    // calendar reminder, as plain text and HTML.
    const last = smtp.received.find(
      (m) => m.to[0] === holder && /in 7 days/.test(m.raw.replace(/=\r?\n/g, '')),
    );
    expect(last).toBeDefined();
    const raw = (last as ReceivedMail).raw.replace(/=\r?\n/g, '');
    expect(raw).toContain(`expire on ${expiryDay}, in 7 days`);
    expect(raw).toContain('log in to SystmOne and e-RS');
    expect(raw).toContain('https://ra.example.test/my-card');
    expect(raw).toMatch(/Content-Type: text\/plain/i);
    expect(raw).toMatch(/Content-Type: text\/html/i);
    expect(raw).toMatch(/Content-Type: text\/calendar/i);
    expect(bodyOf((last as ReceivedMail).raw)).toBeTruthy();

    // Every notice is logged, and the holder and the RA see them.
    const rows = await t.db.select().from(notifications);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const manager2 = await t.login('manager');
    const page = await t.app.request(`/api/people/${kept.id}/notifications`, {
      headers: manager2.headers,
    });
    expect(page.status).toBe(200);
    const listed = ((await page.json()) as { notifications: { kind: string; status: string }[] })
      .notifications;
    // Priya's five, the sponsor's two copies naming her, the RA's one.
    expect(listed.map((n) => n.kind).sort()).toEqual([
      'holder',
      'holder',
      'holder',
      'holder',
      'holder',
      'ra',
      'sponsor',
      'sponsor',
    ]);
  }, 300_000);
});

describe.each(testDrivers)('a mail server that refuses or does not answer (%s)', (driver) => {
  let t: TestApp;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    t = await createTestApp(driver, { env: { SMTP_URL: smtp.url, SMTP_TIMEOUT_SECONDS: '1' } });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('logs each failure, retries after the back-off, sends once when the server takes it, and shows the holder what they were sent', async () => {
    const checker = await t.login('idchecker');
    const holder = await registerActivePerson(t, checker, {
      givenName: 'Blessing',
      familyName: 'Blocked',
      username: 'blessing.blocked',
    });
    // A blocked PIN is told of too (no certificates needed for that).
    await createCard(t, { state: 'blocked', personId: holder.id });
    const job = testJobContext(t);
    const address = 'blessing@demo.nhs.example';
    const row = async () => {
      const [n] = await t.db
        .select()
        .from(notifications)
        .where(eq(notifications.toAddress, address));
      return n;
    };

    smtp.setMode('refuse-data');
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    expect(smtp.refused.map((m) => m.to)).toEqual([[address]]);
    expect(await row()).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'The mail server refused the message (SMTP 554).',
      nextAttemptAt: new Date(t.clock.now().getTime() + 60_000),
    });

    // Before its back-off has passed, nothing is tried.
    const connections = smtp.connections();
    await runJob(job, 'send-mail', { trigger: 'queue' });
    expect(smtp.connections()).toBe(connections);

    // A server that never answers: given up on after the timeout, and tried again later.
    smtp.setMode('silent');
    t.clock.advance(60_000);
    await runJob(job, 'send-mail', { trigger: 'queue' });
    expect(await row()).toMatchObject({
      status: 'failed',
      attempts: 2,
      lastError: 'The mail server did not answer within 1 second.',
      nextAttemptAt: new Date(t.clock.now().getTime() + 5 * 60_000),
    });

    smtp.setMode('accept');
    t.clock.advance(5 * 60_000);
    await runJob(job, 'send-mail', { trigger: 'queue' });
    await runJob(job, 'send-mail', { trigger: 'queue' });
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    expect(smtp.received.map((m) => [m.to, headerOf(m.raw, 'subject')])).toEqual([
      [[address], 'Your smartcard PIN is blocked'],
    ]);
    expect(await row()).toMatchObject({ status: 'sent', attempts: 3, lastError: null });

    // The holder sees what they were sent, on their own page.
    const activation = holder.activation;
    if (!activation) throw new Error('no activation code');
    const activated = await t.app.request('/api/auth/activate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: activation.username,
        code: activation.code,
        password: 'blessing-new-password-2026',
      }),
    });
    expect(activated.status).toBeLessThan(300);
    const me = await t.login(activation.username, 'blessing-new-password-2026');
    const mine = await t.app.request('/api/me/notifications', { headers: me.headers });
    expect(mine.status).toBe(200);
    const listed = (
      (await mine.json()) as {
        notifications: { subject: string; status: string; attempts: number; items: string[] }[];
      }
    ).notifications;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      subject: 'Your smartcard PIN is blocked',
      status: 'sent',
      attempts: 3,
    });
    expect(listed[0]?.items[0]).toMatch(
      /^Your smartcard \(serial [0-9a-f]+\): its PIN is blocked\.$/,
    );
    // Someone else's page is not theirs to read.
    const other = await t.app.request(`/api/people/${holder.id}/notifications`, {
      headers: (await t.login('staff')).headers,
    });
    expect(other.status).toBe(403);
  }, 120_000);

  it('gives up after the last back-off, and suppresses a notice for someone with no address', async () => {
    // The next day: the first test's notices are yesterday's.
    t.clock.advance(dayMs);
    const checker = await t.login('idchecker');
    const person = await registerActivePerson(t, checker, {
      givenName: 'Nomail',
      familyName: 'Person',
    });
    await t.db.update(peopleTable).set({ email: null }).where(eq(peopleTable.id, person.id));
    await createCard(t, { state: 'blocked', personId: person.id });
    const job = testJobContext(t);
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    const [suppressed] = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.recipientPersonId, person.id));
    expect(suppressed).toMatchObject({
      status: 'suppressed',
      suppressedReason: 'No email address on record',
      attempts: 0,
    });

    const refusing = await registerActivePerson(t, checker, {
      givenName: 'Refused',
      familyName: 'Always',
    });
    await createCard(t, { state: 'blocked', personId: refusing.id });
    smtp.setMode('refuse-recipient');
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    for (const minutes of [1, 5, 30, 120]) {
      t.clock.advance(minutes * 60_000);
      await runJob(job, 'send-mail', { trigger: 'queue' });
    }
    const [given] = await t.db
      .select()
      .from(notifications)
      .where(eq(notifications.recipientPersonId, refusing.id));
    expect(given).toMatchObject({
      status: 'abandoned',
      attempts: 5,
      lastError: 'The mail server refused the message (SMTP 550).',
      nextAttemptAt: null,
    });
    smtp.setMode('accept');
    t.clock.advance(86_400_000 / 2);
    const before = smtp.received.length;
    await runJob(job, 'send-mail', { trigger: 'queue' });
    expect(smtp.received.length).toBe(before);
  }, 120_000);

  it('tells a holder of a position ending within 14 days, once, and the position expiry ends it after its day', async () => {
    smtp.setMode('accept');
    t.clock.advance(2 * dayMs);
    const checker = await t.login('idchecker');
    const person = await registerActivePerson(t, checker, {
      givenName: 'Ending',
      familyName: 'Soon',
    });
    await givePosition(t, person.id);
    const endDate = dateOf(new Date(t.clock.now().getTime() + 20 * dayMs));
    await t.db.update(assignments).set({ endDate }).where(eq(assignments.personId, person.id));
    const job = testJobContext(t);
    const address = 'ending@demo.nhs.example';
    const told = () => smtp.received.filter((m) => m.to.includes(address));

    // 20 days before: nothing yet; 14 days before: told; the days after: not again.
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    expect(told()).toHaveLength(0);
    t.clock.advance(6 * dayMs);
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    t.clock.advance(dayMs);
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    expect(told().map((m) => headerOf(m.raw, 'subject'))).toEqual(['Your position ends soon']);
    expect(told()[0]?.raw.replace(/=\r?\n/g, '')).toContain(
      `ends on ${displayDate(endDate)}. You will lose SystmOne and e-RS through it.`,
    );

    t.clock.advance(14 * dayMs);
    const run = await runJob(job, 'position-expiry', { trigger: 'queue' });
    expect(run.counts.ended).toBeGreaterThanOrEqual(1);
    const [ended] = await t.db
      .select({ endReason: assignments.endReason })
      .from(assignments)
      .where(eq(assignments.personId, person.id));
    expect(ended?.endReason).toBe('expired');
  }, 120_000);
});

describe.each(testDrivers)('a leaver and expiry notices (%s)', (driver) => {
  let t: TestApp;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    t = await createTestApp(driver, { env: { SMTP_URL: smtp.url, SMTP_TIMEOUT_SECONDS: '1' } });
    await initCertificateAuthority(t.ctx, {
      passphrase: testCaPassphrase,
      organisation: 'Royal Wessex Group',
    });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('tells a holder whose ESR leaver row is applied nothing more, logging why, while another holder is still told', async () => {
    const checker = await t.login('idchecker');
    const leaver = await registerActivePerson(t, checker, {
      givenName: 'Lena',
      familyName: 'Leaves',
      dateOfBirth: '1984-03-12',
    });
    const stayer = await registerActivePerson(t, checker, {
      givenName: 'Stan',
      familyName: 'Stays',
    });
    await givePosition(t, leaver.id);
    await givePosition(t, stayer.id);
    const leaverCard = await createCard(t, {
      state: 'active',
      personId: leaver.id,
      certificates: true,
    });
    await createCard(t, { state: 'active', personId: stayer.id, certificates: true });
    const [card] = await t.db
      .select({ expiresAt: cards.expiresAt })
      .from(cards)
      .where(eq(cards.id, leaverCard.id));
    const expiresAt = card?.expiresAt as Date;
    const leaverAddress = 'lena@demo.nhs.example';
    const stayerAddress = 'stan@demo.nhs.example';
    const job = testJobContext(t);
    const toDaysLeft = (daysLeft: number) =>
      t.clock.advance(expiresAt.getTime() - daysLeft * dayMs - 3_600_000 - t.clock.now().getTime());
    const mailedTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

    // 90 days before: both digests are written, but the mail server refuses them for now.
    toDaysLeft(90);
    smtp.setMode('refuse-data');
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    const failed = await t.db.select().from(notifications);
    expect(failed.map((n) => [n.toAddress, n.status]).sort()).toEqual([
      [leaverAddress, 'failed'],
      [stayerAddress, 'failed'],
    ]);

    // ESR says Lena left yesterday: the import ends her position and flags her card.
    const manager = await t.login('manager');
    const yesterday = dateOf(new Date(t.clock.now().getTime() - dayMs));
    const csv = `employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date\n40000001,Leaves,Lena,1984-03-12,,RWG01,R8010,2020-01-01,${yesterday}\n`;
    const dry = await t.app.request('/api/esr-imports?fileName=leavers.csv', {
      method: 'POST',
      headers: { ...manager.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(dry.status, await dry.clone().text()).toBe(201);
    const view = (await dry.json()) as { id: string; planned: Record<string, number> };
    expect(view.planned).toEqual({ leave: 1 });
    const apply = await post(t, manager, `/api/esr-imports/${view.id}/apply`);
    expect(apply.status, await apply.clone().text()).toBe(202);
    await waitFor(async () => {
      const got = await t.app.request(`/api/esr-imports/${view.id}`, {
        headers: manager.headers,
      });
      return ((await got.json()) as { status: string }).status === 'applied';
    }, `import ${view.id} applied`);

    // The retry: Stan's goes; Lena's, planned before she left, is suppressed instead.
    smtp.setMode('accept');
    t.clock.advance(60_000);
    await runJob(job, 'send-mail', { trigger: 'queue' });
    expect(mailedTo(stayerAddress)).toHaveLength(1);
    expect(mailedTo(leaverAddress)).toHaveLength(0);

    // Every milestone after: Stan is told, Lena is not, and her log says why.
    for (const daysLeft of [60, 30, 7, 0]) {
      toDaysLeft(daysLeft);
      await runJob(job, 'expiry-scan', { trigger: 'queue' });
    }
    expect(mailedTo(stayerAddress)).toHaveLength(5);
    expect(mailedTo(leaverAddress)).toHaveLength(0);
    // Nobody else is told of her card either (the return_due flag is the RA's prompt).
    expect(
      smtp.received.filter((m) => m.raw.replace(/=\r?\n/g, '').includes('Lena Leaves')),
    ).toEqual([]);
    const hers = await t.db
      .select({ status: notifications.status, reason: notifications.suppressedReason })
      .from(notifications)
      .where(eq(notifications.recipientPersonId, leaver.id));
    expect(hers).toHaveLength(5);
    expect(hers).toEqual(
      hers.map(() => ({
        status: 'suppressed',
        reason: 'The holder has left: their card is due back (return_due), not to be renewed',
      })),
    );
    // The RA reads it on her page.
    const page = await t.app.request(`/api/people/${leaver.id}/notifications`, {
      headers: (await t.login('manager')).headers,
    });
    expect(page.status).toBe(200);
    const listed = ((await page.json()) as { notifications: { status: string }[] }).notifications;
    expect(listed.map((n) => n.status)).toEqual(hers.map(() => 'suppressed'));
  }, 300_000);

  it('does not send a notice written before its holder was closed', async () => {
    const checker = await t.login('idchecker');
    const person = await registerActivePerson(t, checker, {
      givenName: 'Cleo',
      familyName: 'Closed',
    });
    await createCard(t, { state: 'blocked', personId: person.id });
    const job = testJobContext(t);
    smtp.setMode('refuse-data');
    await runJob(job, 'expiry-scan', { trigger: 'queue' });
    const closed = await post(t, await t.login('manager'), `/api/people/${person.id}/close`, {
      reason: 'Left the trust',
    });
    expect(closed.status, await closed.clone().text()).toBe(200);
    smtp.setMode('accept');
    t.clock.advance(60_000);
    await runJob(job, 'send-mail', { trigger: 'queue' });
    expect(smtp.received.filter((m) => m.to.includes('cleo@demo.nhs.example'))).toEqual([]);
    const logged = await t.db
      .select({ status: notifications.status, reason: notifications.suppressedReason })
      .from(notifications)
      .where(eq(notifications.recipientPersonId, person.id));
    expect(logged).toEqual([
      { status: 'suppressed', reason: 'The holder has left: their record is closed' },
    ]);
  }, 120_000);
});
