import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountRoles, accounts } from '../../db/schema/accounts.ts';
import { auditEvents } from '../../db/schema/audit.ts';
import { unlockCodes } from '../../db/schema/card-jobs.ts';
import { people } from '../../db/schema/people.ts';
import { createApp } from '../../server/app.ts';
import { DomainError, type FieldProblem, ValidationError } from '../../server/errors.ts';
import { hashPassword } from '../../server/services/auth/passwords.ts';
import { withTransaction } from '../../server/services/context.ts';
import { demoPassword } from '../../server/services/demo/seed-demo.ts';
import { consumeUnlockCode } from '../../server/services/unlock-codes/consume-unlock-code.ts';
import { createCard } from '../support/card-fixtures.ts';
import { testDrivers } from '../support/databases.ts';
import { demoPersonId, post } from '../support/people.ts';
import {
  bodyOf,
  codeIn,
  headerOf,
  type SmtpTestServer,
  startSmtpTestServer,
} from '../support/smtp-test-server.ts';
import { createTestApp, type SignedIn, type TestApp } from '../support/test-app.ts';
import { createTestLogger } from '../support/test-logs.ts';

const hour = 3_600_000;
const codeRoute = '/api/me/unlock-codes';

interface ErrorJson {
  error: { code: string; message: string; details?: unknown };
}

describe.each(testDrivers)('self-service unlock codes (%s)', (driver) => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let staff: SignedIn;
  let staffPerson: string;
  const staffEmail = 'sky.staff@demo.nhs.example';
  /** Every code the tests saw, to look for in the logs and the audit trail. */
  const seenCodes = new Set<string>();

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    t = await createTestApp(driver, {
      env: {
        SMTP_URL: smtp.url,
        SMTP_TIMEOUT_SECONDS: '1',
        MAIL_FROM: 'RA Test <ra@test.example>',
        // Tests move the clock by the hour: a session lasts the test it was made in.
        SESSION_IDLE_MINUTES: '180',
      },
    });
    staffPerson = await demoPersonId(t, 'Sky');
    await createCard(t, { state: 'blocked', personId: staffPerson });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
  // Each test in an hour of its own: the rate limits of one do not reach the next.
  beforeEach(async () => {
    t.clock.advance(2 * hour);
    smtp.setMode('accept');
    staff = await t.login('staff');
  });

  /** Asks for a code as `who`; on 202 returns the code from the message the server took. */
  async function ask(who: SignedIn = staff) {
    const before = smtp.received.length;
    const res = await post(t, who, codeRoute, {});
    const body = (await res.json()) as { sentTo: string; expiresAt: string } & ErrorJson;
    if (res.status !== 202) return { res, body, code: null, mail: null };
    expect(smtp.received.length).toBe(before + 1);
    const mail = smtp.received[smtp.received.length - 1];
    if (!mail) throw new Error('no mail arrived');
    const code = codeIn(mail.raw);
    seenCodes.add(code);
    return { res, body, code, mail };
  }

  /** consumeUnlockCode in a transaction of its own; the refusal's problems, or the result. */
  async function consume(code: string, personId = staffPerson) {
    try {
      return await withTransaction(t.ctx, (tx) => consumeUnlockCode(tx, { personId, code }));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return { refused: err.details as FieldProblem[] };
    }
  }
  const refusal = async (code: string, personId?: string) => {
    const out = await consume(code, personId);
    if (!('refused' in out)) throw new Error(`the code ${code} was accepted`);
    expect(out.refused.map((p) => p.field)).toEqual(['code']);
    return out.refused[0]?.message ?? '';
  };
  const wrongCodeFor = (code: string) => (code === '00000000' ? '00000001' : '00000000');
  const openCodesOf = (personId: string) =>
    t.db
      .select()
      .from(unlockCodes)
      .where(eq(unlockCodes.personId, personId))
      .then((rows) =>
        rows.filter(
          (r) =>
            !r.usedAt && r.expiresAt.getTime() > t.clock.now().getTime() && r.failedAttempts < 5,
        ),
      );

  it('emails the holder a code that works once, keeping only its argon2id hash', async () => {
    const { res, body, code, mail } = await ask();
    expect(res.status).toBe(202);
    expect(body).toEqual({
      sentTo: 's***@demo.nhs.example',
      expiresAt: new Date(t.clock.now().getTime() + 15 * 60_000).toISOString(),
    });
    if (!code || !mail) throw new Error('no code');
    expect(mail.to).toEqual([staffEmail]);
    expect(headerOf(mail.raw, 'to')).toBe(staffEmail);
    expect(headerOf(mail.raw, 'from')).toBe('RA Test <ra@test.example>');
    expect(headerOf(mail.raw, 'subject')).toBe('Your code to unlock your smartcard');
    expect(bodyOf(mail.raw)).toMatch(/works\s+for 15 minutes, and once/);

    const [row] = await t.db
      .select()
      .from(unlockCodes)
      .where(eq(unlockCodes.personId, staffPerson));
    expect(row?.codeHash).toMatch(/^\$argon2id\$/);
    expect(row?.codeHash).not.toContain(code);
    expect(row?.email).toBe(staffEmail);

    // A use whose job then fails rolls back with it: the code is unused again.
    await expect(
      withTransaction(t.ctx, async (tx) => {
        await consumeUnlockCode(tx, { personId: staffPerson, code });
        throw new Error('the job could not be created');
      }),
    ).rejects.toThrow(/job could not be created/);
    // Spaces are tolerated, as a person copies the code.
    const used = await consume(`${code.slice(0, 4)} ${code.slice(4)}`);
    expect(used).toMatchObject({ sentTo: 's***@demo.nhs.example' });
    expect(await refusal(code)).toMatch(/used already/);
    // Another person's job cannot take it either.
    expect(await refusal(code, await demoPersonId(t, 'Lee'))).toMatch(/not a code in force/);
  });

  it('gives two uses at the same moment one success', async () => {
    const { code } = await ask();
    if (!code) throw new Error('no code');
    const outcomes = await Promise.all([consume(code), consume(code)]);
    expect(outcomes.filter((o) => !('refused' in o))).toHaveLength(1);
    const refused = outcomes.find((o) => 'refused' in o) as { refused: FieldProblem[] };
    expect(refused.refused[0]?.message).toMatch(/used already/);
  });

  it('refuses a code that is not 8 digits, without counting it as a wrong code', async () => {
    await ask();
    for (const typed of ['1234567', '123456789', 'abcdefgh', '1234-5678', '']) {
      expect(await refusal(typed), typed).toMatch(/8-digit code from the email, digits only/);
    }
    const [open] = await openCodesOf(staffPerson);
    expect(open?.failedAttempts).toBe(0);
  });

  it('refuses a wrong code and counts it, even though the job rolls back', async () => {
    const { code } = await ask();
    if (!code) throw new Error('no code');
    expect(await refusal(wrongCodeFor(code))).toMatch(
      /not the code we sent\. Check the email and try again \(4 tries left\)/,
    );
    const [open] = await openCodesOf(staffPerson);
    expect(open?.failedAttempts).toBe(1);
    expect(await consume(code)).toHaveProperty('id');
  });

  it('refuses an expired code, saying when it expired', async () => {
    const { code } = await ask();
    if (!code) throw new Error('no code');
    t.clock.advance(15 * 60_000);
    expect(await refusal(code)).toMatch(/expired at \d\d:\d\d \(UK time\).*Ask for a new code/);
  });

  it('kills every open code of the person at the 5th wrong code', async () => {
    const first = (await ask()).code;
    const second = (await ask()).code;
    if (!first || !second) throw new Error('no code');
    const wrong = ['00000000', '11111111', '22222222', '33333333', '44444444', '55555555'].filter(
      (c) => c !== first && c !== second,
    );
    for (let i = 0; i < 4; i++) {
      expect(await refusal(wrong[i] ?? '')).toMatch(new RegExp(`\\(${4 - i} tr(y|ies) left\\)`));
    }
    expect(await refusal(wrong[4] ?? '')).toMatch(/5 wrong codes have now been entered/);
    expect(await openCodesOf(staffPerson)).toEqual([]);
    for (const code of [first, second]) {
      expect(await refusal(code)).toMatch(/no longer works: 5 wrong codes were entered/);
    }
    // A fresh code works again.
    const fresh = (await ask()).code;
    expect(await consume(fresh ?? '')).toHaveProperty('id');
  });

  it('sends at most 5 codes an hour to a person, saying when they can ask again', async () => {
    const started = t.clock.now();
    for (let i = 0; i < 5; i++) expect((await ask()).res.status).toBe(202);
    t.clock.advance(10 * 60_000);
    // Another address for the same person: the person's own limit still holds.
    await t.db
      .update(people)
      .set({ email: 'sky.elsewhere@demo.nhs.example' })
      .where(eq(people.id, staffPerson));
    try {
      const sixth = await ask();
      expect(sixth.res.status).toBe(429);
      expect(sixth.body.error.code).toBe('RATE_LIMITED');
      const freeAt = new Date(started.getTime() + hour);
      const hhmm = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/London',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(freeAt);
      expect(sixth.body.error.message).toBe(
        `You have asked for 5 codes in the last hour. You can ask for another at ${hhmm} (UK time).`,
      );
      expect(sixth.res.headers.get('retry-after')).toBe(String(50 * 60));
      t.clock.advance(50 * 60_000);
      const again = await ask();
      expect(again.res.status, JSON.stringify(again.body)).toBe(202);
    } finally {
      await t.db.update(people).set({ email: staffEmail }).where(eq(people.id, staffPerson));
    }
  });

  it('sends at most 5 codes an hour to an address, whoever asks', async () => {
    const lee = await demoPersonId(t, 'Lee');
    const [leeRow] = await t.db
      .select({ email: people.email })
      .from(people)
      .where(eq(people.id, lee));
    await createCard(t, { state: 'active', personId: lee });
    // Two records sharing one mailbox, spelt differently.
    await t.db
      .update(people)
      .set({ email: 'Sky.Staff@Demo.NHS.example' })
      .where(eq(people.id, lee));
    const leeSignedIn = await t.login('lsa');
    try {
      for (let i = 0; i < 3; i++) expect((await ask()).res.status).toBe(202);
      for (let i = 0; i < 2; i++) expect((await ask(leeSignedIn)).res.status).toBe(202);
      const sixth = await ask(leeSignedIn);
      expect(sixth.res.status).toBe(429);
      expect(sixth.body.error.code).toBe('RATE_LIMITED');
      expect(sixth.body.error.message).toMatch(
        /^5 codes have been sent to S\*\*\*@Demo\.NHS\.example in the last hour\. You can ask for another at \d\d:\d\d \(UK time\)\.$/,
      );
      expect((await ask()).res.status).toBe(429);
    } finally {
      await t.db
        .update(people)
        .set({ email: leeRow?.email ?? null })
        .where(eq(people.id, lee));
    }
  });

  it('answers 503 when the mail server refuses, and leaves no usable code', async () => {
    for (const mode of ['refuse-recipient', 'refuse-data'] as const) {
      smtp.setMode(mode);
      const refusedBefore = smtp.refused.length;
      const { res, body } = await ask();
      expect(res.status, mode).toBe(503);
      expect(body.error.code).toBe('UNAVAILABLE');
      expect(body.error.message).toMatch(
        /^The mail server refused the message \(SMTP 55[04]\)\. No code was sent: try again in a few minutes, or ask your RA team to unlock your card at the desk\.$/,
      );
      expect(await openCodesOf(staffPerson)).toEqual([]);
      if (mode === 'refuse-data') {
        // The server read the message before refusing it: its code must not work.
        const mail = smtp.refused[refusedBefore];
        if (!mail) throw new Error('the refused message was not kept');
        const code = codeIn(mail.raw);
        seenCodes.add(code);
        expect(await refusal(code)).toMatch(/not a code in force/);
      }
    }
    // A refused send is no code sent: it does not count against the hour.
    smtp.setMode('accept');
    for (let i = 0; i < 5; i++) expect((await ask()).res.status).toBe(202);
  });

  it('answers 503 within its timeouts when the mail server never answers', async () => {
    smtp.setMode('silent');
    const connections = smtp.connections();
    const started = performance.now();
    const { res, body } = await ask();
    const ms = performance.now() - started;
    expect(res.status).toBe(503);
    expect(body.error.message).toMatch(
      /^The mail server did not answer within 1 second\. No code was sent/,
    );
    expect(smtp.connections()).toBe(connections + 1);
    // SMTP_TIMEOUT_SECONDS=1 for the greeting; argon2 and the database take the rest.
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(6000);
    expect(await openCodesOf(staffPerson)).toEqual([]);
  });

  it('refuses a person with no card to unlock, or no work email, with 409', async () => {
    const sponsor = await t.login('sponsor');
    const none = await post(t, sponsor, codeRoute, {});
    expect(none.status).toBe(409);
    expect(((await none.json()) as ErrorJson).error.message).toMatch(
      /^You hold no card that can be unlocked/,
    );
    // A card in stock, or cancelled, is no card to unlock.
    const sam = await demoPersonId(t, 'Sam');
    await createCard(t, { state: 'cancelled', personId: sam });
    expect((await post(t, sponsor, codeRoute, {})).status).toBe(409);

    await createCard(t, { state: 'issued_locked', personId: sam });
    const [samRow] = await t.db
      .select({ email: people.email })
      .from(people)
      .where(eq(people.id, sam));
    await t.db.update(people).set({ email: null }).where(eq(people.id, sam));
    try {
      const noEmail = await post(t, sponsor, codeRoute, {});
      expect(noEmail.status).toBe(409);
      expect(((await noEmail.json()) as ErrorJson).error.message).toBe(
        'No work email is registered for you, so no code can be sent. Ask your RA team to add your work email, or to unlock your card at the desk.',
      );
    } finally {
      await t.db
        .update(people)
        .set({ email: samRow?.email ?? null })
        .where(eq(people.id, sam));
    }
    expect((await post(t, sponsor, codeRoute, {})).status).toBe(202);
  });

  it('refuses the anonymous (401), a role without cards:unlock-own (403), a body (400)', async () => {
    const anonymous = await t.app.request(codeRoute, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);

    // An account holding no role: no permission at all.
    await t.db.insert(accounts).values({
      username: 'no-roles',
      displayName: 'Nobody Roles',
      passwordHash: await hashPassword(demoPassword),
    });
    const noRoles = await t.login('no-roles');
    const forbidden = await post(t, noRoles, codeRoute, {});
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as ErrorJson).error.code).toBe('FORBIDDEN');

    // A card holder's role, but no person record behind the account.
    const [unlinked] = await t.db
      .insert(accounts)
      .values({
        username: 'unlinked',
        displayName: 'Unlinked Holder',
        passwordHash: await hashPassword(demoPassword),
      })
      .returning({ id: accounts.id });
    await t.db.insert(accountRoles).values({ accountId: unlinked?.id ?? '', role: 'staff' });
    const notLinked = await post(t, await t.login('unlinked'), codeRoute, {});
    expect(notLinked.status).toBe(409);
    expect(((await notLinked.json()) as ErrorJson).error.message).toMatch(
      /not linked to a person record/,
    );

    const withBody = await post(t, staff, codeRoute, { email: 'me@elsewhere.example' });
    expect(withBody.status).toBe(400);
    expect((await post(t, staff, codeRoute, {})).status).toBe(202);
  });

  it('audits each code sent with the address masked, and never writes a code to the trail or the log', async () => {
    const { code } = await ask();
    if (!code) throw new Error('no code');
    const events = await t.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'card.unlock_code_sent'));
    expect(events.length).toBeGreaterThan(5);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ subjectType: 'person', subjectId: staffPerson });
    expect(last?.summary).toMatchObject({ sentTo: 's***@demo.nhs.example' });

    expect(seenCodes.size).toBeGreaterThan(15);
    const trail = JSON.stringify(await t.db.select().from(auditEvents));
    const log = readFileSync(t.logFile, 'utf8');
    expect(log).toMatch(/"msg":"mail sent"/);
    expect(log).toMatch(/"responseCode":550.*"msg":"mail not sent"/);
    expect(log).toMatch(/"code":"ETIMEDOUT".*"msg":"mail not sent"/);
    for (const seen of seenCodes) {
      const alone = new RegExp(`(?<!\\d)${seen}(?!\\d)`);
      expect(alone.test(trail), `code in the audit trail`).toBe(false);
      expect(alone.test(log), `code in the log`).toBe(false);
    }
    expect(trail).not.toContain(staffEmail);
    expect(log.toLowerCase()).not.toContain(staffEmail);
  });

  it('without SMTP_URL, writes the mail as an .eml file into DATA_DIR/mail and logs its name only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ra-mail-'));
    try {
      const { logger, logFile } = createTestLogger();
      const app = createApp({
        db: t.db,
        driver,
        config: { ...t.config, dataDir, mail: { ...t.config.mail, smtpUrl: undefined } },
        logger,
        now: t.clock.now,
        auditKeys: t.ctx.auditKeys,
        certificateAuthority: t.ctx.certificateAuthority,
      });
      // No body at all, as the page may send it.
      const res = await app.request(codeRoute, {
        method: 'POST',
        headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrfToken },
      });
      expect(res.status).toBe(202);
      const files = readdirSync(join(dataDir, 'mail'));
      expect(files).toHaveLength(1);
      const file = join(dataDir, 'mail', files[0] ?? '');
      const raw = readFileSync(file, 'utf8');
      expect(headerOf(raw, 'to')).toBe(staffEmail);
      const code = codeIn(raw);
      seenCodes.add(code);
      const log = readFileSync(logFile, 'utf8');
      expect(log).toContain(`"file":"${file}"`);
      expect(log).toMatch(/mail written to a file/);
      expect(new RegExp(`(?<!\\d)${code}(?!\\d)`).test(log)).toBe(false);
      expect(await consume(code)).toHaveProperty('id');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses with 503, and keeps nothing, where no mailer is given to the service', async () => {
    const { requestUnlockCode } = await import(
      '../../server/services/unlock-codes/request-unlock-code.ts'
    );
    const [account] = await t.db.select().from(accounts).where(eq(accounts.username, 'staff'));
    const before = (await t.db.select().from(unlockCodes)).length;
    const failure = await requestUnlockCode({
      ...t.ctx,
      actor: {
        accountId: account?.id ?? '',
        username: 'staff',
        roles: [{ role: 'staff', odsCode: null }],
        permissions: ['cards:unlock-own'],
      },
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).code).toBe('UNAVAILABLE');
    expect((await t.db.select().from(unlockCodes)).length).toBe(before);
  });
});
