import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { cards } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import { createCertificateAuthorities } from '../../../pki/ca/create-ca.ts';
import { type CertificateProfile, issueCertificate } from '../../../pki/ca/issue-certificate.ts';
import { parseCertificate } from '../../../pki/certificate-summary.ts';
import type { LoginPolicy } from '../../config.ts';
import { assignPosition } from '../assignments/assign-position.ts';
import { actorOf } from '../auth/sessions.ts';
import { transitionCard } from '../cards/transition-card.ts';
import { type Actor, type ServiceContext, withTransaction } from '../context.ts';
import type { ObservationInput } from '../observations/observation-input.ts';
import { recordObservation } from '../observations/record-observation.ts';
import { recordIdentityCheck } from '../people/record-identity-check.ts';
import { registerPerson } from '../people/register-person.ts';
import { issueCardCertificate } from '../pki/issue-card-certificate.ts';
import { CaUnavailableError } from '../pki/publish-crl.ts';
import { raiseRequest } from '../requests/raise-request.ts';
import { enrolWorkstation } from '../workstations/enrol-workstation.ts';
import { registerWorkstation } from '../workstations/manage-workstations.ts';

const dayMs = 86_400_000;

/** Where the demo's CA says it publishes, and how its card certificates are made. */
export interface DemoPki {
  baseUrl: string;
  upnDomain: string;
  validityDays: number;
}
const demoPki: DemoPki = {
  baseUrl: 'http://localhost:8080',
  upnDomain: 'nhs.uk',
  validityDays: 730,
};

/**
 * A morning's work on top of the demo trust, so that every screen has something to show:
 * identity checks (and one new starter still waiting for theirs), positions held, a request waiting for its sponsor, a workstation whose reader has seen
 * cards, and the card flags those sightings raise. It goes through the same service verbs
 * as the screens, as the demo people, so the audit trail tells the story too.
 *
 * Its cards are issued by the demo's own CA (issueCardCertificate), so their certificates
 * chain and their status is on the CRL and OCSP: the CA must exist and be open first, or
 * nothing is seeded (CaUnavailableError).
 */
export async function seedDemoActivity(
  ctx: ServiceContext,
  policy: { login: LoginPolicy; documentHashKey: string; pki?: Partial<DemoPki> },
): Promise<void> {
  // Checked first, so that nothing is written without it.
  if (!(await ctx.certificateAuthority?.(ctx.db))) {
    throw new CaUnavailableError(
      "The demo's cards are issued by its own certificate authority, and none is open: create it first (npm start does in demo mode; `npm run ca -- init` elsewhere) and give its CA_KEY_PASSPHRASE.",
    );
  }
  const pki: DemoPki = { ...demoPki, ...policy.pki };
  const as = async (username: string): Promise<ServiceContext> => ({
    ...ctx,
    actor: await demoActor(ctx, username),
  });
  const person = async (givenName: string) => {
    const [row] = await ctx.db
      .select({
        id: people.id,
        userId: people.userId,
        familyName: people.familyName,
        accountId: people.accountId,
      })
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
  // Another new starter, further along: registered, identity checked and given a position,
  // she waits for her card, which an RA agent issues at a desk with a reader (card jobs).
  const grace = await registerPerson(await as('agent'), {
    givenName: 'Grace',
    familyName: 'Adeyemi',
    dateOfBirth: '1993-09-21',
    email: 'grace.adeyemi@demo.nhs.example',
    odsCodes: ['RWG01'],
  });
  const gracePassport = `5${randomBytes(4).readUInt32BE(0).toString().padStart(10, '0')}`;
  await recordIdentityCheck(
    idchecker,
    grace.id,
    {
      documents: [
        { type: 'passport', issuingCountry: 'GB', expiresOn: '2032-03-31', number: gracePassport },
        { type: 'utility_bill', issuingCountry: 'GB', number: `ACC-${gracePassport}` },
        { type: 'birth_certificate', issuingCountry: 'GB', number: `BC ${gracePassport}` },
      ],
    },
    policy.documentHashKey,
  );
  await assignPosition(sponsor, { personId: grace.id, positionId: await position('Ward Clerk') });
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

  const now = ctx.now();
  // Cards the RA desk issued over the last two years, each through the demo's own CA: issued
  // as of the day its story needs (a context whose clock reads then), so the certificates'
  // real notBefore and notAfter tell it.
  const agent = await as('agent');
  const issueCard = async (
    holder: { id: string },
    daysLeft: number,
    profiles: readonly CertificateProfile[] = ['authentication'],
  ) => {
    const issuedAt = new Date(now.getTime() + (daysLeft - pki.validityDays) * dayMs + 3_600_000);
    return withTransaction({ ...agent, now: () => issuedAt }, async (tx) => {
      const serial = randomBytes(16).toString('hex');
      const [card] = await tx.db
        .insert(cards)
        .values({
          serial,
          personId: holder.id,
          state: 'active',
          stateChangedAt: issuedAt,
          createdAt: issuedAt,
          updatedAt: issuedAt,
        })
        .returning({ id: cards.id });
      if (!card) throw new Error('the demo card was not recorded');
      const certificates: Buffer[] = [];
      for (const profile of profiles) {
        const { certificate } = await issueCardCertificate(tx, {
          cardId: card.id,
          personId: holder.id,
          profile,
          subjectPublicKeyInfo: await demoCardKey(),
          ...pki,
        });
        certificates.push(certificate);
      }
      return { id: card.id, serial, certificates };
    });
  };

  // Cards seen in its reader this morning, reported by its agent: the trail names the desk.
  const desk: ServiceContext = {
    ...ctx,
    workstation: { id: workstationId, name: 'RA desk 1 (demo)', odsCode: 'RWG01' },
  };
  let sequence = 0;
  const seen = async (
    serial: string,
    certificates: readonly Buffer[],
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
        // What the agent reports of each certificate it read off the card, from its DER.
        certificates: certificates.map((der, i) => ({
          slot: i === 0 ? '9a' : '9c',
          certificate: parseCertificate(der),
        })),
        pin: { ...pin, verified: false },
      },
      error: null,
    };
    await recordObservation(desk, workstationId, observation);
  };

  // The desk's cards carry their authentication certificate (slot 9A), the one a reader's
  // flags are about: each card raises one expiry flag, as the story tells.
  const ok = { triesLeft: 3, blocked: false };
  const priyaCard = await issueCard(priya, 5);
  await seen(priyaCard.serial, priyaCard.certificates, ok, 95);
  const zoeCard = await issueCard(zoe, 300);
  await seen(zoeCard.serial, zoeCard.certificates, { triesLeft: 0, blocked: true }, 70);
  const tomaszCard = await issueCard(tomasz, -3);
  await seen(tomaszCard.serial, tomaszCard.certificates, ok, 40);
  const skyCard = await issueCard(sky, 45);
  await seen(skyCard.serial, skyCard.certificates, { triesLeft: 1, blocked: false }, 25);
  // A card from somewhere else, left at the desk: another trust's CA issued it, not ours.
  await seen(randomBytes(16).toString('hex'), [await visitorCertificate(now, pki.baseUrl)], ok, 10);

  // Two cards reported this morning: Lee's lost (cancelled, its certificates revoked as
  // keyCompromise and on the CRL), Sam's missing (suspended, its certificates on hold).
  // Both carry the pair a card is issued with: authentication and signature.
  const pair = ['authentication', 'signature'] as const;
  const lee = await person('Lee');
  const sam = await person('Sam');
  // The RA agent makes both moves through the lifecycle's one verb, as the card's page does.
  const leeCard = await issueCard(lee, 400, pair);
  await transitionCard(agent, { serial: leeCard.serial, verb: 'cancel', reason: 'lost' });
  const samCard = await issueCard(sam, 500, pair);
  await transitionCard(agent, {
    serial: samCard.serial,
    verb: 'suspend',
    reason: 'reported_missing',
  });
}

/** A key pair as a card makes it; the demo keeps only the public half (the key lives on the card). */
async function demoCardKey(): Promise<Buffer> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  return Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey));
}

/** A visitor's certificate from another trust's CA, made for the demo and thrown away. */
async function visitorCertificate(now: Date, baseUrl: string): Promise<Buffer> {
  const elsewhere = await createCertificateAuthorities({
    organisation: 'Elsewhere NHS Trust (demo)',
    now: new Date(now.getTime() - 400 * dayMs),
  });
  const { certificate } = await issueCertificate({
    issuingCa: elsewhere.issuing,
    subjectPublicKeyInfo: await demoCardKey(),
    holder: {
      name: 'Jordan Visitor',
      uuid: '900000000001',
      upn: '900000000001@elsewhere.nhs.example',
      email: 'jordan.visitor@elsewhere.nhs.example',
    },
    profile: 'authentication',
    baseUrl: baseUrl.replace(/\/\/[^/]+/, '//ra.elsewhere.nhs.example'),
    validityDays: 730,
    now: new Date(now.getTime() - 100 * dayMs),
  });
  return certificate;
}

/** A demo account as a signed-in actor, with the roles it holds. */
export async function demoActor(ctx: ServiceContext, username: string): Promise<Actor> {
  const [account] = await ctx.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(eq(accounts.username, username));
  if (!account) throw new Error(`demo account ${username} is missing`);
  return actorOf(ctx, account.id, username);
}
