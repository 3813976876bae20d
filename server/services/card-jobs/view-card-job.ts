import { and, asc, eq } from 'drizzle-orm';
import { assignments, positions } from '../../../db/schema/access.ts';
import { accounts } from '../../../db/schema/accounts.ts';
import { cardJobSteps, cardJobs } from '../../../db/schema/card-jobs.ts';
import { cards } from '../../../db/schema/cards.ts';
import { people } from '../../../db/schema/people.ts';
import { workstations } from '../../../db/schema/workstations.ts';
import { NotFoundError } from '../../errors.ts';
import { isHeld } from '../assignments/held-assignment.ts';
import { assertMayViewCard, findCard } from '../cards/card-access.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { todayOf } from '../dates.ts';
import { defaultStaleSeconds, failStaleJobsOfCard } from './end-card-job.ts';
import { type JobStep, stepWords } from './job-steps.ts';

const noSuchJob = 'There is no such card job.';

export interface CardJobView {
  id: string;
  kind: 'issue' | 'renew' | 'unlock';
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  selfService: boolean;
  issuedLocked: boolean;
  card: { serial: string; state: string };
  person: { id: string; name: string };
  workstation: { id: string; name: string };
  requestedBy: string;
  step: string | null;
  failure: string | null;
  steps: { step: string; outcome: 'ok' | 'failed'; words: string; at: string }[];
  createdAt: string;
  expiresAt: string;
  finishedAt: string | null;
  /** Unlocked or issued: the clinical systems the holder's positions give them, to log in to again. */
  systems: string[];
}

/**
 * A job as the page that asked for it shows its progress: for whoever asked, and for those who
 * may see its card. A job past its time is failed first, so the page learns the agent stopped.
 */
export async function viewCardJob(
  ctx: ServiceContext,
  jobId: string,
  staleSeconds = defaultStaleSeconds,
): Promise<CardJobView> {
  if (!ctx.actor || !/^[0-9a-f-]{36}$/i.test(jobId)) throw new NotFoundError(noSuchJob);
  const [head] = await ctx.db
    .select({ cardId: cardJobs.cardId, requestedBy: cardJobs.requestedBy, serial: cards.serial })
    .from(cardJobs)
    .innerJoin(cards, eq(cards.id, cardJobs.cardId))
    .where(eq(cardJobs.id, jobId));
  if (!head) throw new NotFoundError(noSuchJob);
  if (head.requestedBy !== ctx.actor.accountId) {
    const card = await findCard(ctx, head.serial);
    if (!card) throw new NotFoundError(noSuchJob);
    await assertMayViewCard(ctx, card).catch(() => {
      throw new NotFoundError(noSuchJob);
    });
  }
  const [live] = await ctx.db
    .select({ state: cardJobs.state })
    .from(cardJobs)
    .where(eq(cardJobs.id, jobId));
  if (live && (live.state === 'pending' || live.state === 'running')) {
    await withTransaction(ctx, (tx) => failStaleJobsOfCard(tx, head.cardId, staleSeconds));
  }
  const [job] = await ctx.db
    .select({
      job: cardJobs,
      serial: cards.serial,
      cardState: cards.state,
      given: people.givenName,
      family: people.familyName,
      workstationName: workstations.name,
      requestedBy: accounts.displayName,
    })
    .from(cardJobs)
    .innerJoin(cards, eq(cards.id, cardJobs.cardId))
    .innerJoin(people, eq(people.id, cardJobs.personId))
    .innerJoin(workstations, eq(workstations.id, cardJobs.workstationId))
    .innerJoin(accounts, eq(accounts.id, cardJobs.requestedBy))
    .where(eq(cardJobs.id, jobId));
  if (!job) throw new NotFoundError(noSuchJob);
  const steps = await ctx.db
    .select()
    .from(cardJobSteps)
    .where(eq(cardJobSteps.jobId, jobId))
    .orderBy(asc(cardJobSteps.id));
  const j = job.job;
  let systems: string[] = [];
  if (j.state === 'succeeded' && j.kind !== 'renew') {
    const held = await ctx.db
      .select({ systems: positions.systems })
      .from(assignments)
      .innerJoin(positions, eq(positions.id, assignments.positionId))
      .where(and(eq(assignments.personId, j.personId), isHeld(todayOf(ctx.now()))));
    systems = [...new Set(held.flatMap((h) => h.systems))].sort();
  }
  return {
    id: j.id,
    kind: j.kind,
    state: j.state,
    selfService: j.selfService,
    issuedLocked: j.issuedLocked,
    card: { serial: job.serial, state: job.cardState },
    person: { id: j.personId, name: `${job.given} ${job.family}` },
    workstation: { id: j.workstationId, name: job.workstationName },
    requestedBy: job.requestedBy,
    step: j.step,
    failure: j.failure,
    steps: steps.map((s) => ({
      step: s.step,
      outcome: s.outcome,
      words:
        s.outcome === 'failed'
          ? `Failed: ${String((s.detail as { error?: string }).error ?? '')}`
          : (stepWords[s.step as JobStep] ?? s.step),
      at: s.at.toISOString(),
    })),
    createdAt: j.createdAt.toISOString(),
    expiresAt: j.expiresAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
    systems,
  };
}
