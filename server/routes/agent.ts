import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { derProblem } from '../services/observations/certificate-der.ts';
import { recordObservation } from '../services/observations/record-observation.ts';
import { enrolWorkstation } from '../services/workstations/enrol-workstation.ts';
import { isoInstant } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

const Enrol = z
  .strictObject({
    code: z.string('give the enrolment code').trim().min(1, 'give the enrolment code').max(40),
    hostname: z.string().max(200, 'is longer than 200 characters').nullish(),
  })
  .openapi('AgentEnrol');

const Enrolled = z
  .object({
    workstationId: z.uuid(),
    workstationName: z.string(),
    organisation: z.object({ odsCode: z.string(), name: z.string() }),
    credential: z.string().openapi({
      description: 'The agent’s own credential, given this once; send it as Authorization: Bearer',
    }),
  })
  .openapi('AgentEnrolled');

const Slot = z.enum(['9a', '9c', '9d', '9e']);
const text = (max: number) => z.string().max(max, `is longer than ${max} characters`);
const Certificate = z.strictObject({
  subject: text(1000),
  issuer: text(1000),
  serialNumber: text(100),
  notBefore: isoInstant(),
  notAfter: isoInstant(),
  keyUsage: z.array(text(40)).max(16),
  extendedKeyUsage: z.array(text(100)).max(32),
  email: text(320).nullable(),
  upn: text(320).nullable(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be a SHA-256 fingerprint in hex'),
  der: z.string().optional().openapi({
    description:
      'The certificate itself, DER in base64 (at most 16 KiB decoded), whose SHA-256 is sha256: the server checks its signature against its own CA. Agents that send none are judged on the records alone.',
    format: 'byte',
  }),
});

const Observation = z
  .strictObject({
    idempotencyKey: z.uuid('must be a UUID, new for each observation'),
    sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    observedAt: isoInstant(),
    kind: z.enum(['card_inserted', 'card_removed', 'card_unreadable']),
    reader: text(200).min(1, 'name the reader'),
    atr: z
      .string()
      .regex(/^([0-9a-f]{2}){1,66}$/i, 'must be the ATR in hex (at most 66 bytes)')
      .nullable(),
    cardSerial: z
      .string()
      .regex(
        /^([0-9a-f]{32}|sn-[0-9]{1,10})$/,
        "must be the CHUID GUID in lower-case hex (32 characters), or sn- and the card's serial number",
      )
      .nullable(),
    card: z
      .strictObject({
        cardType: z.literal('PIV'),
        chuid: z
          .strictObject({
            guid: text(64).nullable(),
            fascn: text(100).nullable(),
            expiry: text(16).nullable(),
          })
          .nullable(),
        chuidError: text(500).optional().openapi({
          description:
            'Why the CHUID could not be read (the card refused it, or it does not parse); absent when it was read or the card has none. The card is then known by its serial number.',
        }),
        certificates: z
          .array(
            z.union([
              z.strictObject({ slot: Slot, certificate: Certificate }),
              z.strictObject({ slot: Slot, error: text(500) }),
            ]),
          )
          .max(4)
          .superRefine((list, ctx) => {
            // Checked here, where the slot is known, so the message can name it.
            list.forEach((entry, i) => {
              if (!('certificate' in entry) || entry.certificate.der === undefined) return;
              const problem = derProblem(entry.slot, {
                sha256: entry.certificate.sha256,
                der: entry.certificate.der,
              });
              if (problem)
                ctx.addIssue({ code: 'custom', path: [i, 'certificate', 'der'], message: problem });
            });
          }),
        pin: z.strictObject({
          triesLeft: z.number().int().min(0).max(15).nullable(),
          blocked: z.boolean(),
          verified: z.boolean(),
        }),
      })
      .nullable(),
    error: text(500).nullable(),
  })
  .superRefine((o, ctx) => {
    if (o.kind === 'card_inserted' && (!o.card || !o.cardSerial)) {
      ctx.addIssue({
        code: 'custom',
        path: ['card'],
        message: 'a card_inserted observation carries the card and its serial',
      });
    }
  })
  .openapi('CardObservation');

const enrol = defineRoute({
  method: 'post',
  path: '/api/agent/enrol',
  operationId: 'enrolWorkstation',
  access: 'public',
  tags: ['Reader agent'],
  summary: 'Trade a one-time enrolment code for the workstation’s credential',
  description:
    'A forged, mistyped, used or expired code, or a revoked workstation’s, gets the same 401 ENROLMENT_CODE_INVALID; wrong codes count against the address like failed sign-ins (then 429).',
  request: { body: { required: true, content: json(Enrol) } },
  responses: {
    201: { description: 'Enrolled', content: json(Enrolled) },
    401: failure('The code is not valid'),
    429: failure('Too many wrong codes from this address'),
  },
});

const observe = defineRoute({
  method: 'post',
  path: '/api/agent/observations',
  operationId: 'reportObservation',
  access: 'agent',
  tags: ['Reader agent'],
  summary: 'Report what a reader saw: a card read in, taken out, or unreadable',
  description:
    'Idempotent by idempotencyKey: the same key again answers 200 with the first observation and changes nothing. A certificate sent with its DER that is not base64, is over 16 KiB, does not parse, or is not the certificate its sha256 names gets a 400 naming its slot, and nothing is stored.',
  request: { body: { required: true, content: json(Observation) } },
  responses: {
    201: {
      description: 'Stored',
      content: json(z.object({ observationId: z.number().int(), duplicate: z.literal(false) })),
    },
    200: {
      description: 'Already stored (a resend)',
      content: json(z.object({ observationId: z.number().int(), duplicate: z.literal(true) })),
    },
  },
});

export function registerAgent(app: OpenAPIHono<AppEnv>) {
  app.openapi(enrol, async (c) =>
    c.json(
      await enrolWorkstation(serviceContext(c), c.req.valid('json'), c.get('deps').config.login),
      201,
    ),
  );
  app.openapi(observe, async (c) => {
    const workstation = c.get('workstation');
    if (!workstation) throw new Error('agent route reached without a workstation');
    const result = await recordObservation(serviceContext(c), workstation.id, c.req.valid('json'));
    return result.duplicate
      ? c.json({ observationId: result.observationId, duplicate: true as const }, 200)
      : c.json({ observationId: result.observationId, duplicate: false as const }, 201);
  });
}
