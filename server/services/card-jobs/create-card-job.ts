import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { assignments } from '../../../db/schema/access.ts';
import { cardJobs } from '../../../db/schema/card-jobs.ts';
import { cards } from '../../../db/schema/cards.ts';
import { people, personOrganisations } from '../../../db/schema/people.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  SeparationOfDutiesError,
  ValidationError,
} from '../../errors.ts';
import { actorScope } from '../access/actor-scope.ts';
import { ancestorsOf } from '../access/organisation-tree.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import {
  assertMayViewCard,
  type CardRecord,
  findCard,
  lifecycleActorFor,
  noSuchCard,
  outOfScopeRefusal,
} from '../cards/card-access.ts';
import { type CardVerb, planTransition, transitionFrom } from '../cards/card-lifecycle.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { displayDate, todayOf } from '../dates.ts';
import { defaultStaleSeconds, failStaleJobsOfCard } from './end-card-job.ts';
import type { CardJobKind } from './job-steps.ts';

/** How long a job waits for its agent to start it. */
export const jobStartMinutes = 5;
/** Renewal by the holder, a sponsor or an LSA opens this many days before expiry. */
export const renewalWindowDays = 90;

export interface CreateCardJobInput {
  kind: CardJobKind;
  cardSerial: string;
  workstationId: string;
  /** Issue: the person the card is for. */
  personId?: string | null;
  /** Issue: leave the card issued_locked; the holder sets their PIN by self-service unlock. */
  issuedLocked?: boolean;
  /** Self-service unlock: the one-time code sent to the holder's work email. */
  code?: string | null;
}

export interface CreatedCardJob {
  id: string;
  /** Shown once, to be handed to the workstation's agent; only its hash is kept. */
  nonce: string;
  kind: CardJobKind;
  selfService: boolean;
  expiresAt: Date;
}

/**
 * Checks and uses a self-service unlock's one-time code, in the job's transaction; a wrong
 * code is counted in it too, and its refusal returned, not thrown: the transaction commits
 * the count, then the refusal is thrown.
 */
export type CodeConsumer = (
  tx: TxContext,
  input: { personId: string; code: string },
) => Promise<{ refusal: DomainError } | undefined>;

export const nonceHashOf = (nonce: string) => createHash('sha256').update(nonce).digest('hex');

export function requireCardSecrets(ctx: ServiceContext) {
  if (!ctx.cardSecrets) {
    throw new DomainError(
      'UNAVAILABLE',
      'Cards cannot be issued, renewed or unlocked: the server has no card master secret (CARD_MASTER_KEY). Ask whoever runs the server to set it.',
    );
  }
  return ctx.cardSecrets;
}

/**
 * Asks for a card job (docs/card-jobs.md): checks the caller's permission for the card's move
 * in the lifecycle table (never on their own card as an operator), the kind's rules (a
 * verified person with a position to issue to; the renewal window; a one-time code for a
 * holder unlocking their own card), the workstation (enrolled, of the card's or person's
 * organisation) and that no other job is live for the card, then records the job, bound to
 * all of these and a one-time nonce, valid for minutes.
 */
export function createCardJob(
  ctx: ServiceContext,
  input: CreateCardJobInput,
  consumeCode: CodeConsumer,
  staleSeconds = defaultStaleSeconds,
): Promise<CreatedCardJob> {
  requireCardSecrets(ctx);
  const actor = ctx.actor;
  if (!actor) throw new ForbiddenError('Sign in to ask for a card job.');
  return withTransaction<CreatedCardJob | { refusal: DomainError }>(ctx, async (tx) => {
    const card = await findCard(tx, input.cardSerial, { forUpdate: true });
    if (!card) throw new NotFoundError(noSuchCard);
    await assertMayViewCard(tx, card);
    // A job whose agent stopped reporting (by the server's configured time) is over: it is
    // failed here, its certificates revoked, so the next can be asked for at once.
    await failStaleJobsOfCard(tx, card.id, staleSeconds);

    const person =
      input.kind === 'issue'
        ? await personToIssueTo(tx, input.personId ?? null)
        : await holderOf(tx, card);
    const own = person.accountId !== null && person.accountId === actor.accountId;
    const selfService = own && input.kind !== 'issue';

    if (input.kind === 'issue') await checkIssue(tx, card, person, input.issuedLocked ?? false);
    else await checkMove(tx, { ...card, holderAccountId: person.accountId }, input.kind);
    if (input.kind === 'renew') await checkRenewalWindow(tx, card, selfService);
    if (input.kind === 'unlock' && selfService) {
      const code = (input.code ?? '').replace(/\s+/g, '');
      if (!code) {
        throw ValidationError.of([
          { field: 'code', message: 'is needed: ask for a code, sent to your work email' },
        ]);
      }
      const refused = await consumeCode(tx, { personId: person.id, code });
      if (refused) return refused;
    } else if (input.code) {
      throw ValidationError.of([
        { field: 'code', message: 'is only for a holder unlocking their own card' },
      ]);
    }
    if (input.kind !== 'issue' && input.issuedLocked) {
      throw ValidationError.of([{ field: 'issuedLocked', message: 'is only for issuing a card' }]);
    }

    const workstation = await workstationFor(tx, input.workstationId, [
      ...card.odsCodes,
      ...(await organisationsOf(tx, person.id)),
    ]);
    const [live] = await tx.db
      .select({ id: cardJobs.id, kind: cardJobs.kind })
      .from(cardJobs)
      .where(and(eq(cardJobs.cardId, card.id), inArray(cardJobs.state, ['pending', 'running'])));
    if (live) {
      throw new ConflictError(
        `A job to ${live.kind} this card is already waiting or running: let it finish, or wait a few minutes for it to lapse.`,
      );
    }

    const now = tx.now();
    const nonce = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + jobStartMinutes * 60_000);
    const [job] = await tx.db
      .insert(cardJobs)
      .values({
        kind: input.kind,
        selfService,
        state: 'pending',
        cardId: card.id,
        personId: person.id,
        workstationId: workstation.id,
        requestedBy: actor.accountId,
        nonceHash: nonceHashOf(nonce),
        issuedLocked: input.kind === 'issue' && (input.issuedLocked ?? false),
        createdAt: now,
        expiresAt,
      })
      .returning({ id: cardJobs.id });
    if (!job) throw new Error('the job was not recorded');
    await recordAuditEvent(tx, {
      action: 'card.job_requested',
      subjectType: 'card',
      subjectId: card.serial,
      summary: {
        serial: card.serial,
        jobId: job.id,
        kind: input.kind,
        selfService,
        personId: person.id,
        workstationId: workstation.id,
        workstationName: workstation.name,
        ...(input.kind === 'issue' ? { issuedLocked: input.issuedLocked ?? false } : {}),
      },
    });
    return { id: job.id, nonce, kind: input.kind, selfService, expiresAt };
  }).then((made) => {
    if ('refusal' in made) throw made.refusal;
    return made;
  });
}

interface JobPerson {
  id: string;
  accountId: string | null;
}

async function holderOf(_tx: TxContext, card: CardRecord): Promise<JobPerson> {
  if (!card.personId) {
    throw new ConflictError('This card is issued to nobody: issue it first.', {
      state: card.state,
    });
  }
  return { id: card.personId, accountId: card.holderAccountId };
}

async function personToIssueTo(tx: TxContext, personId: string | null): Promise<JobPerson> {
  const noPerson = () =>
    ValidationError.of([{ field: 'personId', message: 'is not a person you can issue a card to' }]);
  if (!personId || !/^[0-9a-f-]{36}$/i.test(personId)) {
    throw ValidationError.of([{ field: 'personId', message: 'is needed: pick the person' }]);
  }
  const [person] = await tx.db
    .select({
      id: people.id,
      accountId: people.accountId,
      status: people.status,
      userId: people.userId,
      email: people.email,
      given: people.givenName,
      family: people.familyName,
    })
    .from(people)
    .where(eq(people.id, personId))
    .for('update');
  if (!person) throw noPerson();
  const scope = await actorScope(tx);
  const orgs = await organisationsOf(tx, person.id);
  if (!scope.coversAny('cards:issue', orgs)) throw noPerson();
  const name = `${person.given} ${person.family}`;
  if (tx.actor && person.accountId === tx.actor.accountId) {
    throw new SeparationOfDutiesError(
      'You cannot issue a card to yourself: ask a colleague to issue yours.',
    );
  }
  if (person.status !== 'active') {
    throw ValidationError.of([
      {
        field: 'personId',
        message:
          person.status === 'pending_id_check'
            ? `${name}'s identity has not been checked yet: check it before issuing a card`
            : `${name} is ${person.status}: a card is issued only to an active person`,
      },
    ]);
  }
  if (!person.email) {
    throw ValidationError.of([
      {
        field: 'personId',
        message: `${name} has no work email: the certificates name it, so add it first`,
      },
    ]);
  }
  const held = await tx.db
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.personId, person.id), isHeld(todayOf(tx.now()))))
    .limit(1);
  if (!held.length) {
    throw ValidationError.of([
      {
        field: 'personId',
        message: `${name} holds no position: a sponsor must approve one before a card is issued`,
      },
    ]);
  }
  const [other] = await tx.db
    .select({ serial: cards.serial, state: cards.state })
    .from(cards)
    .where(
      and(
        eq(cards.personId, person.id),
        inArray(cards.state, ['issued_locked', 'active', 'blocked', 'suspended']),
      ),
    )
    .limit(1);
  if (other) {
    throw new ConflictError(
      `${name} already holds card ${other.serial} (${other.state.replace('_', ' ')}): cancel it as replaced first.`,
    );
  }
  return { id: person.id, accountId: person.accountId };
}

async function organisationsOf(tx: TxContext, personId: string): Promise<string[]> {
  const rows = await tx.db
    .select({ odsCode: personOrganisations.odsCode })
    .from(personOrganisations)
    .where(eq(personOrganisations.personId, personId));
  return rows.map((r) => r.odsCode);
}

/** The lifecycle's word on a move, as the caller, with the refusal they would get from its route. */
async function checkMove(tx: TxContext, card: CardRecord, verb: CardVerb) {
  const actor = await lifecycleActorFor(tx, card);
  const plan = planTransition({
    card: { state: card.state, holderAccountId: card.holderAccountId },
    actor,
    verb,
  });
  if (!plan.ok) {
    const row = transitionFrom(card.state, verb);
    if (row && plan.error instanceof ForbiddenError) {
      throw (await outOfScopeRefusal(tx, card, row)) ?? plan.error;
    }
    throw plan.error;
  }
}

async function checkIssue(tx: TxContext, card: CardRecord, person: JobPerson, locked: boolean) {
  if (tx.actor && person.accountId === tx.actor.accountId) {
    throw new SeparationOfDutiesError(
      'You cannot issue a card to yourself: ask a colleague to issue yours.',
    );
  }
  await checkMove(tx, { ...card, holderAccountId: person.accountId }, 'issue');
  if (!locked) {
    // Issued with the holder's PIN: the job also activates the card.
    const asIssued: CardRecord = {
      ...card,
      state: 'issued_locked',
      holderAccountId: person.accountId,
    };
    await checkMove(tx, asIssued, 'activate');
  }
}

/**
 * DOMAIN.md: inside the last 90 days the holder, a sponsor or an LSA may renew; once expired,
 * only an RA agent in person. An RA agent (cards:renew-expired) may renew at any time, at the
 * desk; nobody renews their own card early.
 */
async function checkRenewalWindow(tx: TxContext, card: CardRecord, selfService: boolean) {
  const [row] = await tx.db
    .select({ expiresAt: cards.expiresAt })
    .from(cards)
    .where(eq(cards.id, card.id));
  const expiresAt = row?.expiresAt ?? null;
  const now = tx.now();
  const scope = await actorScope(tx);
  const raAgent = !selfService && scope.coversAny('cards:renew-expired', card.odsCodes);
  if (raAgent) return;
  if (!expiresAt || expiresAt <= now) {
    throw new ForbiddenError(
      `This card's certificates ${expiresAt ? `expired on ${displayDate(expiresAt.toISOString().slice(0, 10))}` : 'are not on record'}: only an RA agent renews it, with the holder in person at the RA desk.`,
    );
  }
  const opens = new Date(expiresAt.getTime() - renewalWindowDays * 86_400_000);
  if (now < opens) {
    throw new ConflictError(
      `This card can be renewed from ${displayDate(opens.toISOString().slice(0, 10))}, ${renewalWindowDays} days before its certificates expire on ${displayDate(expiresAt.toISOString().slice(0, 10))}.`,
    );
  }
}

/** The job's workstation: enrolled, and of one of the card's or the person's organisations. */
async function workstationFor(tx: TxContext, id: string, odsCodes: string[]) {
  const invalid = (message: string) => ValidationError.of([{ field: 'workstationId', message }]);
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw invalid('is not a workstation');
  const [ws] = await tx.db
    .select({
      id: workstations.id,
      name: workstations.name,
      odsCode: workstations.odsCode,
      status: workstations.status,
    })
    .from(workstations)
    .where(and(eq(workstations.id, id), ne(workstations.status, 'awaiting_enrolment')));
  // A desk serves its trust: the workstation's organisation and the card's (or person's) must
  // share one, the trust above its sites.
  const reach = ws ? await ancestorsOf(tx, [ws.odsCode, ...odsCodes]) : new Map();
  const mine = ws ? (reach.get(ws.odsCode) ?? new Set<string>()) : new Set<string>();
  const shared = odsCodes.some((c) => [...(reach.get(c) ?? [])].some((a) => mine.has(a)));
  if (!ws || !shared) {
    throw invalid(
      "is not an enrolled workstation of this card's organisation: run the reader agent there (npm run agent -- watch)",
    );
  }
  if (ws.status === 'revoked') throw invalid(`"${ws.name}" was revoked: it runs no card jobs`);
  return ws;
}
