import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { ConflictError } from '../errors.ts';
import { type AppEnv, expectedOrigin, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { jobLinks } from '../jobs/job-links.ts';
import { jobType, jobTypes } from '../jobs/job-types.ts';
import { runJob } from '../jobs/run-job.ts';
import { type JobRun, listJobRuns } from '../services/background/job-runs.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

const JobRunView = z
  .object({
    id: z.uuid(),
    job: z.string(),
    trigger: z.enum(['schedule', 'queue', 'manual']).openapi({
      description:
        'How the run was started: by its schedule, sent to the queue by the app (an import applied, the revocation list at start-up), or run now by hand. Not its state: see outcome.',
    }),
    process: z.string().openapi({ description: 'The server process that ran it (host:pid)' }),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    outcome: z.enum(['running', 'succeeded', 'failed']),
    counts: z.record(z.string(), z.number()),
    error: z.string().nullable(),
  })
  .openapi('JobRun');

const JobView = z
  .object({
    name: z.string(),
    description: z.string(),
    schedule: z
      .string()
      .nullable()
      .openapi({ description: 'When it runs by itself: a cron expression in UK time' }),
    when: z.string().openapi({ description: 'When it runs, in words (UK time)' }),
    runByHand: z
      .boolean()
      .openapi({ description: 'Whether “Run now” may start it (not a job that needs data)' }),
  })
  .openapi('BackgroundJob');

const runView = (r: JobRun) => ({
  id: r.id,
  job: r.job,
  trigger: r.trigger,
  process: r.process,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
  outcome: r.outcome,
  counts: r.counts,
  error: r.error,
});

const list = defineRoute({
  method: 'get',
  path: '/api/background/runs',
  operationId: 'listJobRuns',
  access: 'background-jobs:manage',
  tags: ['Background jobs'],
  summary: 'The background jobs and their runs, newest first',
  description:
    'Every run of every background job (expiry scan, position expiry, CRL refresh, purge, mail), whichever server process ran it: when it started and finished, how it ended, what it counted, and why it failed. RA managers only.',
  request: {
    query: z.object({
      job: z.string().max(60).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: {
      description: 'The registered jobs and the latest runs',
      content: json(
        z.object({ jobs: z.array(JobView), runs: z.array(JobRunView) }).openapi('JobRuns'),
      ),
    },
  },
});

const runNow = defineRoute({
  method: 'post',
  path: '/api/background/jobs/{name}/runs',
  operationId: 'runJobNow',
  access: 'background-jobs:manage',
  tags: ['Background jobs'],
  summary: 'Run a background job now, in this server process',
  description:
    'Runs the job here and answers with its run when it ends. Jobs are safe to run again and at the same time as another process’s run: nothing is sent or done twice.',
  request: { params: z.object({ name: z.string().max(60) }) },
  responses: {
    200: { description: 'The run, finished', content: json(JobRunView) },
    409: failure('A job that runs only when someone’s action queues it'),
  },
});

export function registerBackground(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    const { job, limit } = c.req.valid('query');
    const runs = await listJobRuns(serviceContext(c), { ...(job ? { job } : {}), limit });
    const jobs = jobTypes().map((t) => ({
      name: t.name,
      description: t.description,
      schedule: t.schedule ?? null,
      when: t.scheduleWords ?? (t.schedule ? `On the schedule ${t.schedule}` : 'When asked'),
      runByHand: t.runByHand !== false,
    }));
    return c.json({ jobs, runs: runs.map(runView) }, 200);
  });
  app.openapi(runNow, async (c) => {
    // The job acts as the server, not as the manager who asked: the run is the same run a
    // worker would make (the request's caller is on the audit of nothing it changes).
    const job = {
      ctx: { ...serviceContext(c), actor: null, memo: new Map() },
      logger: c.get('deps').logger,
      links: jobLinks(expectedOrigin(c)),
    };
    const name = c.req.valid('param').name;
    if (jobType(name)?.runByHand === false) {
      throw new ConflictError(
        `${name} runs only when someone asks for it (applying an import), not by hand.`,
      );
    }
    const run = await runJob(job, name, { trigger: 'manual' });
    return c.json(runView(run), 200);
  });
}
