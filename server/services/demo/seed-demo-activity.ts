import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { cards, certificates } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import type { LoginPolicy } from '../../config.ts';
import { assignPosition } from '../assignments/assign-position.ts';
import { actorOf } from '../auth/sessions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { CertificateReport, ObservationInput } from '../observations/observation-input.ts';
import { recordObservation } from '../observations/record-observation.ts';
import { recordIdentityCheck } from '../people/record-identity-check.ts';
import { registerPerson } from '../people/register-person.ts';
import { raiseRequest } from '../requests/raise-request.ts';
import { enrolWorkstation } from '../workstations/enrol-workstation.ts';
import { registerWorkstation } from '../workstations/manage-workstations.ts';

const dayMs = 86_400_000;
/** The demo's own issuer name: certificates "issued" before the built-in CA exists. */
export const demoIssuer = 'CN=Smartcard RA Demo CA, O=RWG (demo)';

/**
 * A morning's work on top of the demo trust, so that every screen has something to show:
 * identity checks (and one new starter still waiting for theirs), positions held, a request waiting for its sponsor, a workstation whose reader has seen
 * cards, and the card flags those sightings raise. It goes through the same service verbs
 * as the screens, as the demo people, so the audit trail tells the story too.
 *
 * Only the card and certificate records are written directly: issuing cards comes with the
 * card lifecycle and the built-in CA, and until then the demo stands in for them.
 */
export async function seedDemoActivity(
  ctx: ServiceContext,
  policy: { login: LoginPolicy; documentHashKey: string },
): Promise<void> {
  const as = async (username: string): Promise<ServiceContext> => ({
    ...ctx,
    actor: await demoActor(ctx, username),
  });
  const person = async (givenName: string) => {
    const [row] = await ctx.db
      .select({ id: people.id, userId: people.userId, familyName: people.familyName })
      .from(people)
      .where(eq(people.givenName, givenName));
    if (!row) throw new Error(`demo person ${givenName} is missing`);
    return { ...row, name: `${givenName} ${row.familyName}` };
  };
  const position = async (name: string) => {
    const [row] = await ctx.db
      .select({ id: positions.id })
      .from(positions)
      .where(eq(positions.name, name));
    if (!row) throw new Error(`demo position ${name} is missing`);
    return row.id;
  };

  if (!policy.documentHashKey) throw new Error('the demo identity checks need DOCUMENT_HASH_KEY');
  // Everyone in the demo has had their identity checked in person, as e-GIF level 3 asks:
  // by the ID checker, and the ID checker by the RA manager (nobody checks themselves).
  const everyone = await ctx.db
    .select({ id: people.id, accountId: people.accountId })
    .from(people)
    .orderBy(people.createdAt);
  const idchecker = await as('idchecker');
  const managerForChecks = await as('manager');
  for (const someone of everyone) {
    const checker = someone.accountId === idchecker.actor?.accountId ? managerForChecks : idchecker;
    const passport = `5${randomBytes(4).readUInt32BE(0).toString().padStart(10, '0')}`;
    await recordIdentityCheck(
      checker,
      someone.id,
      {
        documents: [
          { type: 'passport', issuingCountry: 'GB', expiresOn: '2031-06-30', number: passport },
          { type: 'utility_bill', issuingCountry: 'GB', number: `ACC-${passport}` },
          { type: 'birth_certificate', issuingCountry: 'GB', number: `BC ${passport}` },
        ],
      },
      policy.documentHashKey,
    );
  }

  // A new starter registered at the RA desk this morning: the ID checker's work waiting.
  await registerPerson(await as('agent'), {
    givenName: 'Amara',
    familyName: 'Okafor',
    dateOfBirth: '1996-04-17',
    email: 'amara.okafor@demo.nhs.example',
    odsCodes: ['RWG01'],
  });

  const priya = await person('Priya');
  const zoe = await person('Zoë');
  const tomasz = await person('Tomasz');
  const sky = await person('Sky');

  // Positions: the sponsor assigns the assignable ones, the RA manager the others.
  const sponsor = await as('sponsor');
  const manager = await as('manager');
  await assignPosition(sponsor, {
    personId: priya.id,
    positionId: await position('Staff Nurse, Acute Medical Unit'),
  });
  await assignPosition(sponsor, { personId: sky.id, positionId: await position('Ward Clerk') });
  await assignPosition(manager, {
    personId: zoe.id,
    positionId: await position('Consultant Physician'),
  });
  await assignPosition(manager, {
    personId: tomasz.id,
    positionId: await position('Outpatient Receptionist'),
  });
  // Sky asks for more: it waits in the sponsor's inbox.
  await raiseRequest(await as('staff'), {
    kind: 'assign',
    personId: sky.id,
    positionId: await position('Staff Nurse, Acute Medical Unit'),
    note: 'Starting on the Acute Medical Unit bank rota next week.',
  });

  // The RA desk's workstation, enrolled as its agent would be.
  const { enrolment } = await registerWorkstation(manager, {
    name: 'RA desk 1 (demo)',
    location: 'Watford General, RA office',
    odsCode: 'RWG01',
  });
  const { workstationId } = await enrolWorkstation(
    { ...ctx, address: '127.0.0.1' },
    { code: enrolment.code, hostname: 'ra-desk-1' },
    policy.login,
  );

  // Cards seen in its reader this morning, reported by its agent: the trail names the desk.
  const desk: ServiceContext = {
    ...ctx,
    workstation: { id: workstationId, name: 'RA desk 1 (demo)', odsCode: 'RWG01' },
  };
  const now = ctx.now();
  let sequence = 0;
  const seen = async (
    serial: string,
    certificate: CertificateReport,
    pin: { triesLeft: number; blocked: boolean },
    minutesAgo: number,
  ) => {
    sequence += 1;
    const observation: ObservationInput = {
      idempotencyKey: randomUUID(),
      sequence,
      observedAt: new Date(now.getTime() - minutesAgo * 60_000).toISOString(),
      kind: 'card_inserted',
      reader: 'Identiv uTrust 2700 R 00 00',
      atr: '3bf81300008131fe15597562696b657934d4',
      cardSerial: serial,
      card: {
        cardType: 'PIV',
        chuid: { guid: serial, fascn: null, expiry: null },
        certificates: [{ slot: '9a', certificate }],
        pin: { ...pin, verified: false },
      },
      error: null,
    };
    await recordObservation(desk, workstationId, observation);
  };
  const issued = async (
    holder: { id: string; userId: string; name: string },
    daysLeft: number,
  ): Promise<{ serial: string; certificate: CertificateReport }> => {
    const serial = randomBytes(16).toString('hex');
    const notAfter = new Date(now.getTime() + daysLeft * dayMs + 3_600_000);
    const notBefore = new Date(notAfter.getTime() - 730 * dayMs);
    const certificate: CertificateReport = {
      subject: `CN=${holder.name}, O=RWG`,
      issuer: demoIssuer,
      serialNumber: randomBytes(16).toString('hex'),
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['clientAuth', 'smartcardLogon'],
      email: null,
      upn: `${holder.userId}@nhs.net`,
      sha256: randomBytes(32).toString('hex'),
    };
    const [card] = await ctx.db
      .insert(cards)
      .values({ serial, personId: holder.id, state: 'active', createdAt: now, updatedAt: now })
      .returning({ id: cards.id });
    await ctx.db.insert(certificates).values({
      cardId: card?.id,
      personId: holder.id,
      slot: '9a',
      serialNumber: certificate.serialNumber,
      subject: certificate.subject,
      issuer: certificate.issuer,
      sha256: certificate.sha256,
      notBefore,
      notAfter,
      createdAt: now,
    });
    return { serial, certificate };
  };

  const ok = { triesLeft: 3, blocked: false };
  const priyaCard = await issued(priya, 5);
  await seen(priyaCard.serial, priyaCard.certificate, ok, 95);
  const zoeCard = await issued(zoe, 300);
  await seen(zoeCard.serial, zoeCard.certificate, { triesLeft: 0, blocked: true }, 70);
  const tomaszCard = await issued(tomasz, -3);
  await seen(tomaszCard.serial, tomaszCard.certificate, ok, 40);
  const skyCard = await issued(sky, 45);
  await seen(skyCard.serial, skyCard.certificate, { triesLeft: 1, blocked: false }, 25);
  // A card from somewhere else, left at the desk: nobody here issued it.
  await seen(
    randomBytes(16).toString('hex'),
    {
      subject: 'CN=Jordan Visitor, O=Elsewhere NHS Trust',
      issuer: 'CN=Another Trust CA',
      serialNumber: randomBytes(8).toString('hex'),
      notBefore: new Date(now.getTime() - 100 * dayMs).toISOString(),
      notAfter: new Date(now.getTime() + 600 * dayMs).toISOString(),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['clientAuth'],
      email: null,
      upn: null,
      sha256: randomBytes(32).toString('hex'),
    },
    ok,
    10,
  );
}

/** A demo account as a signed-in actor, with the roles it holds. */
async function demoActor(ctx: ServiceContext, username: string): Promise<Actor> {
  const [account] = await ctx.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(eq(accounts.username, username));
  if (!account) throw new Error(`demo account ${username} is missing`);
  return actorOf(ctx, account.id, username);
}
