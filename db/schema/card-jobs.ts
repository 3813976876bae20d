import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.ts';
import { cards } from './cards.ts';
import { people } from './people.ts';
import { workstations } from './workstations.ts';

export const cardJobKinds = ['issue', 'renew', 'unlock'] as const;
export const cardJobStates = ['pending', 'running', 'succeeded', 'failed'] as const;

/**
 * One operation on a card (docs/card-jobs.md): asked for by a person on the web page, carried
 * out by one workstation's agent on one card, at most once. Only the nonce's SHA-256 is kept.
 */
export const cardJobs = pgTable(
  'card_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: cardJobKinds }).notNull(),
    /** Asked for by the card's holder on their own card (self-service renew or unlock). */
    selfService: boolean('self_service').notNull().default(false),
    state: text('state', { enum: cardJobStates }).notNull(),
    cardId: uuid('card_id')
      .notNull()
      .references(() => cards.id),
    /** The person the card is (or will be) issued to. */
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    workstationId: uuid('workstation_id')
      .notNull()
      .references(() => workstations.id),
    requestedBy: uuid('requested_by')
      .notNull()
      .references(() => accounts.id),
    nonceHash: text('nonce_hash').notNull(),
    /** Issue: leave the card issued_locked, the holder setting their PIN at first use. */
    issuedLocked: boolean('issued_locked').notNull().default(false),
    /**
     * The PUKs the card may hold, as this job offered them to its agent, and the new PUK it
     * sent (sealed like the card's PUK, as JSON `{ puks, newPuk }`), so the step that names
     * the one the card took can record it and make the new one pending; cleared when the job
     * ends.
     */
    sealedPukCandidates: text('sealed_puk_candidates'),
    /** The last step the agent reported (null: not started). */
    step: text('step'),
    /** Why it failed, in words the operator can act on. */
    failure: text('failure'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** Not started by then: it can no longer start. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    lastStepAt: timestamp('last_step_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    // One live job per card: two workstations never write the same card at once.
    uniqueIndex('card_jobs_live_uq').on(t.cardId).where(sql`${t.state} in ('pending', 'running')`),
    index('card_jobs_workstation_idx').on(t.workstationId, t.createdAt),
    index('card_jobs_live_idx')
      .on(t.state, t.lastStepAt)
      .where(sql`${t.state} in ('pending', 'running')`),
    // The unlocks report: a range of months of unlocks done, for everyone (by when they
    // finished) or for an organisation's people (by person), from the index alone.
    index('card_jobs_unlocks_idx')
      .on(t.finishedAt, t.selfService)
      .where(sql`${t.kind} = 'unlock' and ${t.state} = 'succeeded'`),
    index('card_jobs_unlocks_person_idx')
      .on(t.personId, t.finishedAt, t.selfService)
      .where(sql`${t.kind} = 'unlock' and ${t.state} = 'succeeded'`),
    check('card_jobs_kind_ck', sql`${t.kind} in ('issue', 'renew', 'unlock')`),
    check('card_jobs_state_ck', sql`${t.state} in ('pending', 'running', 'succeeded', 'failed')`),
  ],
);

/** Every step an agent reported for a job, in order: the job's record of what it did. */
export const cardJobSteps = pgTable(
  'card_job_steps',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => cardJobs.id),
    step: text('step').notNull(),
    outcome: text('outcome', { enum: ['ok', 'failed'] }).notNull(),
    /** What the step did, without secrets (certificate serials, a status word, an error). */
    detail: jsonb('detail').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('card_job_steps_job_idx').on(t.jobId, t.id)],
);

/**
 * One-time codes for self-service unlock, sent to the holder's work email: valid 15 minutes,
 * used once. Only a hash of the code is kept.
 */
export const unlockCodes = pgTable(
  'unlock_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    /** The address it was sent to, as it was then (rate limits count per address too). */
    email: text('email').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    failedAttempts: integer('failed_attempts').notNull().default(0),
  },
  (t) => [
    index('unlock_codes_person_idx').on(t.personId, t.createdAt),
    index('unlock_codes_email_idx').on(sql`lower(${t.email})`, t.createdAt),
  ],
);
