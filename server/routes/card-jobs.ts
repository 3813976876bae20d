import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, expectedOrigin, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import {
  type IssuingSettings,
  maxStepsPerCall,
  recordJobSteps,
  startCardJob,
} from '../services/card-jobs/agent-card-job.ts';
import { type CodeConsumer, createCardJob } from '../services/card-jobs/create-card-job.ts';
import { viewCardJob } from '../services/card-jobs/view-card-job.ts';
import { useUnlockCode } from '../services/unlock-codes/consume-unlock-code.ts';
import { isoInstant } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

const serial = z
  .string()
  .regex(/^[0-9A-Za-z-]{1,64}$/, 'must be a card serial: letters, digits and hyphens');
const JobId = z.object({ id: z.uuid('must be a job id') });

const CreateJob = z
  .strictObject({
    kind: z.enum(['issue', 'renew', 'unlock']),
    cardSerial: serial,
    workstationId: z.uuid('must be the workstation’s id, as its agent gives it'),
    personId: z.uuid('must be a person’s id').optional(),
    issuedLocked: z.boolean().optional(),
    code: z.string().max(20, 'is an 8-digit code').optional(),
  })
  .openapi('CardJobRequest');

const CreatedJob = z
  .object({
    id: z.uuid(),
    nonce: z.string().openapi({
      description:
        'Given this once: the page hands it to the workstation’s agent, which starts the job with it',
    }),
    kind: z.enum(['issue', 'renew', 'unlock']),
    selfService: z.boolean(),
    expiresAt: isoInstant(),
  })
  .openapi('CreatedCardJob');

const JobView = z
  .object({
    id: z.uuid(),
    kind: z.enum(['issue', 'renew', 'unlock']),
    state: z.enum(['pending', 'running', 'succeeded', 'failed']),
    selfService: z.boolean(),
    issuedLocked: z.boolean(),
    card: z.object({ serial: z.string(), state: z.string() }),
    person: z.object({ id: z.uuid(), name: z.string() }),
    workstation: z.object({ id: z.uuid(), name: z.string() }),
    requestedBy: z.string(),
    step: z.string().nullable(),
    failure: z.string().nullable(),
    steps: z.array(
      z.object({
        step: z.string(),
        outcome: z.enum(['ok', 'failed']),
        words: z.string(),
        at: isoInstant(),
      }),
    ),
    createdAt: isoInstant(),
    expiresAt: isoInstant(),
    finishedAt: isoInstant().nullable(),
    systems: z.array(z.string()),
  })
  .openapi('CardJob');

const create = defineRoute({
  method: 'post',
  path: '/api/card-jobs',
  operationId: 'createCardJob',
  access: 'authenticated',
  tags: ['Card jobs'],
  summary: 'Ask for a card to be issued, renewed or unlocked by a workstation’s agent',
  description:
    'The server checks the caller’s permission for the card’s move (never their own card as an operator; a holder renews inside the last 90 days with their PIN, unlocks with a one-time code from their work email), the kind’s rules and the workstation, then makes a job bound to them and a one-time nonce, valid for 5 minutes. The page hands {id, nonce} and, where needed, the PIN to the agent on 127.0.0.1 — never to this server.',
  request: { body: { required: true, content: json(CreateJob) } },
  responses: {
    201: { description: 'The job, waiting for the agent', content: json(CreatedJob) },
    404: failure('No such card, or none you may see'),
    409: failure(
      'The card’s state, the renewal window or a live job stops it; the message says which',
    ),
    503: failure('The server has no card master secret'),
  },
});

const view = defineRoute({
  method: 'get',
  path: '/api/card-jobs/{id}',
  operationId: 'getCardJob',
  access: 'authenticated',
  tags: ['Card jobs'],
  summary: 'A card job’s progress: its state and every step its agent reported',
  request: { params: JobId },
  responses: {
    200: { description: 'The job', content: json(JobView) },
    404: failure('No such job, or none you may see'),
  },
});

const AgentJob = z
  .object({
    id: z.uuid(),
    kind: z.enum(['issue', 'renew', 'unlock']),
    cardSerial: z.string(),
    issuedLocked: z.boolean(),
    selfService: z.boolean(),
    managementAlgorithm: z.enum(['tdes', 'aes128', 'aes192', 'aes256']),
    keyAlgorithm: z.literal('rsa2048'),
  })
  .openapi('AgentCardJob');

const Start = z
  .strictObject({
    nonce: z.string().min(1, 'give the job’s nonce').max(100),
    card: z.strictObject({
      serial,
      atr: z
        .string()
        .regex(/^([0-9a-f]{2}){1,66}$/i, 'must be the ATR in hex')
        .nullish(),
    }),
  })
  .openapi('AgentCardJobStart');

const hexText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^([0-9a-fA-F]{2})+$/, 'must be hex');
const b64 = z
  .string()
  .max(4096, 'is longer than a public key')
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64');
const candidate = z.number().int().min(0).max(3);

const Step = z
  .discriminatedUnion('step', [
    z.strictObject({ step: z.literal('pin_verified') }),
    z.strictObject({ step: z.literal('management_challenge'), challenge: hexText(64) }),
    z.strictObject({ step: z.literal('management_authenticated'), candidate }),
    z.strictObject({ step: z.literal('management_key_apdu') }),
    z.strictObject({ step: z.literal('management_key_set') }),
    z.strictObject({
      step: z.literal('keys_generated'),
      publicKeys: z.strictObject({ '9a': b64, '9c': b64 }),
    }),
    z.strictObject({ step: z.literal('certificates_written') }),
    z.strictObject({ step: z.literal('puk_requested') }),
    z.strictObject({ step: z.literal('pin_set'), candidate }),
    z.strictObject({ step: z.literal('puk_changed'), candidate: candidate.optional() }),
    z.strictObject({ step: z.literal('completed') }),
    z.strictObject({
      step: z.literal('failed'),
      error: z.string().min(1, 'say what went wrong').max(500),
      during: z.string().max(40).optional(),
    }),
  ])
  .openapi('AgentCardJobStep');

const Steps = z
  .union([
    Step,
    z.strictObject({
      steps: z
        .array(Step)
        .min(1, 'give at least one step')
        .max(maxStepsPerCall, `give at most ${maxStepsPerCall} steps`),
    }),
  ])
  .openapi('AgentCardJobSteps');

const start = defineRoute({
  method: 'post',
  path: '/api/agent/jobs/{id}/start',
  operationId: 'startCardJob',
  access: 'agent',
  tags: ['Reader agent'],
  summary: 'Start a card job with its nonce, for the card in the reader',
  description:
    'Once: a started job answers 409 to another start. Another workstation’s job is 404. The wrong card in the reader is 409 naming both cards, and the job stays waiting for the right one.',
  request: { params: JobId, body: { required: true, content: json(Start) } },
  responses: {
    200: {
      description: 'Started: what the agent is to do',
      content: json(z.object({ job: AgentJob }).openapi('AgentCardJobStarted')),
    },
    404: failure('No such job for this workstation'),
    409: failure('Started already, expired, wrong nonce or wrong card'),
  },
});

const step = defineRoute({
  method: 'post',
  path: '/api/agent/jobs/{id}/steps',
  operationId: 'reportCardJobStep',
  access: 'agent',
  tags: ['Reader agent'],
  summary:
    'Report a step of a running card job, or several in order; the answer carries what the next card command needs',
  description:
    'Steps follow the order of docs/card-jobs.md for the job’s kind; any other order is 409 and the job carries on. Several steps in one call (`{steps: [...]}`, up to 4) are recorded together or not at all, and the answer holds each step’s answer; `failed` may only come last. `failed` ends the job: certificates it issued that never became current are revoked as cessationOfOperation.',
  request: { params: JobId, body: { required: true, content: json(Steps) } },
  responses: {
    200: {
      description: 'Recorded',
      content: json(z.record(z.string(), z.unknown()).openapi('AgentCardJobStepAnswer')),
    },
    404: failure('No such job for this workstation'),
    409: failure('Out of order, or the job has ended'),
  },
});

function settingsOf(c: Parameters<typeof expectedOrigin>[0]): IssuingSettings {
  const { config } = c.get('deps');
  return {
    baseUrl: expectedOrigin(c),
    validityDays: config.certificateValidityDays,
    upnDomain: config.upnDomain,
    caKeyPassphrase: config.caKeyPassphrase,
    staleSeconds: config.cardJobStaleSeconds,
  };
}

/** A holder's own unlock uses the one-time code sent to their work email. */
const consumeCode: CodeConsumer = async (tx, input) => {
  const used = await useUnlockCode(tx, input);
  return 'refusal' in used ? used : undefined;
};

export function registerCardJobs(app: OpenAPIHono<AppEnv>) {
  app.openapi(create, async (c) => {
    const job = await createCardJob(
      serviceContext(c),
      c.req.valid('json'),
      consumeCode,
      c.get('deps').config.cardJobStaleSeconds,
    );
    return c.json({ ...job, expiresAt: job.expiresAt.toISOString() }, 201);
  });
  app.openapi(view, async (c) =>
    c.json(
      await viewCardJob(
        serviceContext(c),
        c.req.valid('param').id,
        c.get('deps').config.cardJobStaleSeconds,
      ),
      200,
    ),
  );
  app.openapi(start, async (c) =>
    c.json(
      {
        job: await startCardJob(
          serviceContext(c),
          c.req.valid('param').id,
          c.req.valid('json'),
          c.get('deps').config.cardJobStaleSeconds,
        ),
      },
      200,
    ),
  );
  app.openapi(step, async (c) =>
    c.json(
      await recordJobSteps(
        serviceContext(c),
        c.req.valid('param').id,
        stepsOf(c.req.valid('json')),
        settingsOf(c),
      ),
      200,
    ),
  );
}

/** One step, or the steps the agent folded into one call. */
function stepsOf(body: z.infer<typeof Steps>) {
  return 'steps' in body ? body.steps : [body];
}
