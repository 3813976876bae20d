import type { PGlite } from '@electric-sql/pglite';
import { fromPglite, PgBoss } from 'pg-boss';
import type { Logger } from '../logger.ts';
import type { JobQueue } from '../services/background/job-queue.ts';
import type { JobContext } from './job-type.ts';
import { jobType, jobTypes } from './job-types.ts';
import { runJob, UnknownJobError } from './run-job.ts';

/** Where the queue keeps its tables: a schema of its own, beside the app's. */
export const queueSchema = 'pgboss';

export type QueueDatabase =
  /** The embedded PGlite, in this process: the queue shares its one connection. */
  | { driver: 'pglite'; pglite: PGlite }
  /** PostgreSQL: the queue's own small pool (node-postgres) on the same database. */
  | { driver: 'postgres'; url: string; ownerUrl?: string | undefined };

export interface StartQueueOptions {
  database: QueueDatabase;
  job: JobContext;
  /** Take jobs off the queue here (default true); false only puts jobs on it. */
  work?: boolean;
  /** Keep the schedules (default true). */
  schedule?: boolean;
  /** How often an idle worker looks for work, in seconds (default 2). */
  pollingIntervalSeconds?: number;
}

function bossFor(database: QueueDatabase, logger: Logger, options: { migrate: boolean }) {
  const boss =
    database.driver === 'pglite'
      ? new PgBoss({ db: fromPglite(database.pglite), backend: 'pglite', schema: queueSchema })
      : new PgBoss({
          connectionString: database.url,
          schema: queueSchema,
          max: 3,
          application_name: 'smartcard-ra-queue',
          migrate: options.migrate,
        });
  // The queue's own errors (a lost connection, a failed maintenance pass) go to the log; a
  // job's error is recorded on its run instead.
  boss.on('error', (err) => logger.error({ err: { message: err.message } }, 'job queue error'));
  return boss;
}

/**
 * Creates the queue's schema as the tables' owner and grants the app's role what the queue
 * needs in it, as the app's own migrations do: the app role creates nothing.
 */
async function installAsOwner(url: string, ownerUrl: string, logger: Logger) {
  const owner = bossFor({ driver: 'postgres', url: ownerUrl }, logger, { migrate: true });
  await owner.start();
  try {
    const db = owner.getDb();
    const { rows } = await db.executeSql('select current_user as role');
    const ownerRole = rows[0]?.role as string;
    const app = new URL(url);
    const appRole = decodeURIComponent(app.username) || ownerRole;
    if (appRole !== ownerRole) {
      const role = `"${appRole.replaceAll('"', '""')}"`;
      await db.executeSql(`grant usage on schema ${queueSchema} to ${role}`);
      await db.executeSql(
        `grant select, insert, update, delete on all tables in schema ${queueSchema} to ${role}`,
      );
      await db.executeSql(
        `grant usage, select on all sequences in schema ${queueSchema} to ${role}`,
      );
      await db.executeSql(`grant execute on all functions in schema ${queueSchema} to ${role}`);
    }
  } finally {
    await owner.stop({ graceful: false });
  }
}

export type { JobQueue };

/**
 * Starts pg-boss on the app's database: creates a queue per registered job type, keeps the
 * schedules (pg-boss runs each cron tick once, whichever process's clock reaches it first)
 * and works the queues. Every run goes through `recordJobRun`, so it is in `job_runs`.
 */
export async function startQueue(options: StartQueueOptions): Promise<JobQueue> {
  const { database, job } = options;
  const { logger } = job;
  if (database.driver === 'postgres' && database.ownerUrl) {
    await installAsOwner(database.url, database.ownerUrl, logger);
  }
  const boss = bossFor(database, logger, {
    migrate: !(database.driver === 'postgres' && database.ownerUrl),
  });
  await boss.start();
  const types = jobTypes();
  for (const type of types) {
    const queueOptions = {
      retryLimit: type.retryLimit ?? 3,
      retryDelay: type.retryDelaySeconds ?? 30,
      retryBackoff: true,
      expireInSeconds: type.expireInSeconds ?? 15 * 60,
    };
    // Two processes starting at once may both find it missing: the second's create fails
    // and it updates instead.
    if (!(await boss.getQueue(type.name))) {
      await boss.createQueue(type.name, queueOptions).catch(() => {});
    }
    await boss.updateQueue(type.name, queueOptions);
  }

  if (options.schedule !== false) {
    for (const type of types) {
      if (type.schedule) {
        await boss.schedule(
          type.name,
          type.schedule,
          { trigger: 'schedule' },
          { tz: 'Europe/London' },
        );
      } else {
        await boss.unschedule(type.name).catch(() => {});
      }
    }
  }
  if (options.work !== false) {
    for (const type of types) {
      await boss.work<Record<string, unknown>>(
        type.name,
        { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
        async ([j]) => {
          if (!j) return;
          const data = j.data ?? {};
          const trigger = data.trigger === 'schedule' ? 'schedule' : 'queue';
          const done = await runJob(job, type.name, { trigger, queueJobId: j.id, data });
          logger.info({ job: type.name, run: done.id, counts: done.counts }, 'background job done');
        },
      );
    }
  }
  logger.info(
    { driver: database.driver, jobs: types.map((t) => t.name) },
    'background job queue started',
  );

  return {
    async send(name, data = {}) {
      if (!jobType(name)) throw new UnknownJobError(name);
      return boss.send(name, { ...data, trigger: 'queue' });
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };
}
