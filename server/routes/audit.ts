import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { DomainError } from '../errors.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { auditCategories, categoryOf } from '../services/audit/audit-categories.ts';
import {
  type AuditReferences,
  resolveAuditReferences,
} from '../services/audit/audit-references.ts';
import {
  makeCheckpoint,
  newestSignedCheckpoint,
  publishedCheckpoint,
} from '../services/audit/checkpoints.ts';
import { getVerification, startFullVerification } from '../services/audit/full-verification.ts';
import { listAuditEvents } from '../services/audit/list-audit-events.ts';
import { canonicalId } from '../services/audit/record-audit-event.ts';
import { verifyAuditChain } from '../services/audit/verify-audit-chain.ts';
import { isoInstant, pageCursor } from './schemas.ts';

const PersonRef = z
  .object({
    id: z.uuid(),
    name: z.string().nullable(),
    userId: z.string().nullable().openapi({ description: 'Grouped in threes: 5550 8668 9106' }),
  })
  .openapi('AuditPersonRef', {
    description: 'A person an event is about; name and user ID are null when you may not read them',
  });

const AuditEvent = z
  .object({
    id: z.number().int(),
    occurredAt: z.iso.datetime(),
    category: z.enum(auditCategories).openapi({
      description:
        'people: people and identity checks; access: access and requests; cards; sign-in: sign-in and accounts; workstations; audit: the trail itself and the deployment',
    }),
    actor: z.object({
      accountId: z.uuid().nullable(),
      username: z.string().nullable(),
      name: z.string().nullable().openapi({
        description: 'The account’s display name, when you may read the account',
      }),
      personId: z.uuid().nullable().openapi({
        description: 'The person behind the account, when you may read them',
      }),
      workstationId: z.uuid().nullable().openapi({
        description: 'The workstation whose reader agent caused the event, if one did',
      }),
      workstationName: z.string().nullable(),
    }),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string().nullable(),
    about: z
      .object({
        person: PersonRef.nullable(),
        position: z
          .object({ id: z.uuid(), name: z.string().nullable(), odsCode: z.string().nullable() })
          .nullable(),
        request: z
          .object({ id: z.uuid(), kind: z.enum(['assign', 'remove']).nullable() })
          .nullable(),
        organisation: z.object({ odsCode: z.string(), name: z.string().nullable() }).nullable(),
        workstation: z.object({ id: z.uuid(), name: z.string().nullable() }).nullable(),
        card: z
          .object({
            serial: z.string(),
            readable: z.boolean().openapi({ description: 'Whether you may open the card' }),
          })
          .nullable(),
        account: z
          .object({ id: z.uuid(), username: z.string().nullable(), name: z.string().nullable() })
          .nullable(),
      })
      .openapi({
        description:
          'The records the event names, with the names you may read (a name outside your organisations is null)',
      }),
    summary: z.record(z.string(), z.unknown()).openapi({
      description:
        'What changed, as recorded; empty when the event is about someone you may not read (detailsWithheld)',
    }),
    detailsWithheld: z.boolean(),
    requestId: z.string().nullable(),
    address: z.string().nullable(),
    hash: z.string(),
    hashVersion: z.number().int().openapi({
      description: '1: the early plain SHA-256 chain; 2: HMAC-SHA-256 with the audit key',
    }),
  })
  .openapi('AuditEvent');

const AuditQuery = z.strictObject({
  subjectType: z.string().max(64).optional(),
  subjectId: z.string().max(128).optional(),
  actor: z.string().max(128).optional().openapi({ description: 'Account id or username' }),
  action: z.string().max(64).optional(),
  category: z.enum(auditCategories).optional().openapi({ description: 'Events of one category' }),
  person: z.uuid('must be a person id (UUID)').optional().openapi({
    description:
      'Events a person took part in: done by their account, or about them, their account, a request for them or a card they hold',
  }),
  from: isoInstant({ offset: true }).optional(),
  to: isoInstant({ offset: true }).optional(),
  cursor: pageCursor(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const list = defineRoute({
  method: 'get',
  path: '/api/audit',
  operationId: 'listAuditEvents',
  access: 'audit:read',
  tags: ['Audit'],
  summary: 'The audit trail, newest first, filtered and keyset-paginated',
  description:
    'Each event names the records it is about with the names you may read, and its category. You see the events of your organisations only.',
  request: { query: AuditQuery },
  responses: {
    200: {
      description: 'A page of events',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(AuditEvent), nextCursor: z.string().nullable() }),
        },
      },
    },
  },
});

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

const CheckpointQuery = z
  .strictObject({
    eventCount: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    lastEventId: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    lastHash: hex64.optional(),
    createdAt: z.iso.datetime().optional(),
    keyId: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'must be 16 hex digits')
      .optional(),
    signature: z.base64('must be the base64 signature').max(200).optional(),
  })
  .superRefine((q, ctx) => {
    const fields = ['eventCount', 'lastEventId', 'lastHash', 'createdAt', 'keyId', 'signature'];
    const given = fields.filter((f) => q[f as keyof typeof q] !== undefined);
    if (given.length > 0 && given.length < fields.length) {
      for (const f of fields.filter((f) => !given.includes(f))) {
        ctx.addIssue({
          code: 'custom',
          path: [f],
          message:
            'a checkpoint needs all of eventCount, lastEventId, lastHash, createdAt, keyId and signature',
        });
      }
    }
  });

const PublishedCheckpoint = z
  .object({
    id: z.number().int(),
    eventCount: z.number().int(),
    lastEventId: z.number().int().openapi({ description: '0 when the trail was empty' }),
    lastHash: z.string(),
    createdAt: z.iso.datetime(),
    keyId: z.string(),
    unkeyedEvents: z.number().int().openapi({
      description:
        'Early unkeyed events the server accepted when it signed (AUDIT_UNKEYED_EVENTS); part of the signed text',
    }),
    signature: z.string().openapi({ description: 'Ed25519 over signedText, base64' }),
    signedText: z.string().openapi({ description: 'The exact text the signature covers' }),
  })
  .openapi('AuditCheckpoint');

const Verification = z
  .object({
    id: z.uuid(),
    status: z.enum(['running', 'intact', 'broken', 'failed', 'abandoned']),
    checked: z.number().int(),
    total: z.number().int(),
    legacyEvents: z.number().int(),
    firstBrokenId: z.number().int().nullable(),
    problem: z.string().nullable(),
    startedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .openapi('AuditVerification');

const verify = defineRoute({
  method: 'get',
  path: '/api/audit/verify',
  operationId: 'verifyAuditTrail',
  access: 'audit:read',
  tags: ['Audit'],
  summary: 'Verify the trail from the newest signed checkpoint, and optionally against a kept one',
  description:
    'Walks forward from the newest stored checkpoint signed by this server (events before it were checked when it was signed), recomputing every hash and link, and reports the first broken event. A signed checkpoint the trail no longer reaches is a break. Give a checkpoint a monitor kept (the fields of GET /api/audit/checkpoint, as query parameters) to ask whether the trail still reaches it: a deleted tail is found this way. The whole trail from its first event is verified by POST /api/audit/verifications.',
  request: { query: CheckpointQuery },
  responses: {
    200: {
      description: 'The verdict',
      content: {
        'application/json': {
          schema: z
            .object({
              ok: z.boolean(),
              checked: z.number().int(),
              firstBrokenId: z.number().int().nullable(),
              problem: z.string().nullable(),
              legacyEvents: z.number().int(),
              from: z
                .object({
                  checkpointId: z.number().int(),
                  lastEventId: z.number().int(),
                  eventCount: z.number().int(),
                  createdAt: z.iso.datetime(),
                })
                .nullable(),
              forgedCheckpoints: z.number().int(),
              checkpoint: z
                .object({
                  signatureValid: z.boolean(),
                  reached: z.boolean(),
                  problem: z.string().nullable(),
                })
                .nullable(),
              lastFullVerification: Verification.nullable(),
            })
            .openapi('AuditVerdict'),
        },
      },
    },
  },
});

const checkpoint = defineRoute({
  method: 'get',
  path: '/api/audit/checkpoint',
  operationId: 'getAuditCheckpoint',
  access: 'public',
  tags: ['Audit'],
  summary: 'The newest signed checkpoint of the trail, and the public key that checks it',
  description:
    'Public, like a certificate revocation list: it holds no personal data. A monitor polls it and keeps what it gets; later, GET /api/audit/verify with a kept checkpoint says whether the trail still reaches it.',
  responses: {
    200: {
      description: 'The newest checkpoint (null before the first)',
      content: {
        'application/json': {
          schema: z.object({
            checkpoint: PublishedCheckpoint.nullable(),
            publicKey: z.string().openapi({ description: 'Ed25519 public key, SPKI PEM' }),
            keyId: z.string(),
          }),
        },
      },
    },
  },
});

const makeCheckpointRoute = defineRoute({
  method: 'post',
  path: '/api/audit/checkpoints',
  operationId: 'createAuditCheckpoint',
  access: 'audit:read',
  tags: ['Audit'],
  summary: 'Sign a checkpoint of the trail now',
  description:
    'Checks the events since the last checkpoint first: no checkpoint is signed over a broken trail (409). The server also makes one at start and each minute that saw new events.',
  responses: {
    201: {
      description: 'Signed',
      content: { 'application/json': { schema: PublishedCheckpoint } },
    },
    409: {
      description: 'The trail is broken',
      content: { 'application/json': { schema: ErrorBody } },
    },
  },
});

const startVerification = defineRoute({
  method: 'post',
  path: '/api/audit/verifications',
  operationId: 'startAuditVerification',
  access: 'audit:read',
  tags: ['Audit'],
  summary: 'Start a full verification of the trail in the background',
  description:
    'Verifies every event from the first, and that the trail reaches the newest signed checkpoint. Answers at once; follow its progress at GET /api/audit/verifications/{id}. While one is running, this answers with that one.',
  responses: {
    202: { description: 'Running', content: { 'application/json': { schema: Verification } } },
  },
});

const showVerification = defineRoute({
  method: 'get',
  path: '/api/audit/verifications/{id}',
  operationId: 'getAuditVerification',
  access: 'audit:read',
  tags: ['Audit'],
  summary: 'Progress and outcome of a full verification',
  request: { params: z.object({ id: z.uuid('must be a verification id (UUID)') }) },
  responses: {
    200: {
      description: 'The verification',
      content: { 'application/json': { schema: Verification } },
    },
    404: {
      description: 'No such verification',
      content: { 'application/json': { schema: ErrorBody } },
    },
  },
});

export function registerAudit(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await listAuditEvents(serviceContext(c), {
      subjectType: q.subjectType,
      subjectId: canonicalId(q.subjectId ?? null) ?? undefined,
      actor: q.actor,
      action: q.action,
      category: q.category,
      personId: q.person?.toLowerCase(),
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      cursor: q.cursor,
      limit: q.limit,
    });
    const refs = await resolveAuditReferences(serviceContext(c), page.items);
    return c.json(
      {
        items: page.items.map((e) => {
          // Every event of the page was resolved, so its entry is there.
          const { actor, detailsWithheld, ...about } = refs.get(e.id) as AuditReferences;
          return {
            id: e.id,
            occurredAt: e.occurredAt.toISOString(),
            category: categoryOf(e.action),
            actor: {
              accountId: e.actorAccountId,
              username: e.actorUsername,
              name: actor.name,
              personId: actor.personId,
              workstationId: e.actorWorkstationId,
              workstationName: actor.workstationName,
            },
            action: e.action,
            subjectType: e.subjectType,
            subjectId: e.subjectId,
            about,
            summary: detailsWithheld ? {} : e.summary,
            detailsWithheld,
            requestId: e.requestId,
            address: e.address,
            hash: e.hash,
            hashVersion: e.hashVersion,
          };
        }),
        nextCursor: page.nextCursor,
      },
      200,
    );
  });

  app.openapi(verify, async (c) => {
    const q = c.req.valid('query');
    const given =
      q.eventCount !== undefined &&
      q.lastEventId !== undefined &&
      q.lastHash &&
      q.createdAt &&
      q.keyId &&
      q.signature
        ? {
            eventCount: q.eventCount,
            lastEventId: q.lastEventId,
            lastHash: q.lastHash,
            createdAt: new Date(q.createdAt),
            keyId: q.keyId,
            signature: q.signature,
          }
        : undefined;
    return c.json(await verifyAuditChain(serviceContext(c), given), 200);
  });

  app.openapi(checkpoint, async (c) => {
    const ctx = serviceContext(c);
    const { checkpoint: newest } = await newestSignedCheckpoint(ctx.db, ctx.auditKeys);
    return c.json(
      {
        checkpoint: newest ? publishedCheckpoint(newest, ctx.auditKeys) : null,
        publicKey: ctx.auditKeys.publicKeyPem,
        keyId: ctx.auditKeys.keyId,
      },
      200,
    );
  });

  app.openapi(makeCheckpointRoute, async (c) => {
    const ctx = serviceContext(c);
    const made = await makeCheckpoint(ctx, { force: true });
    if (!made.ok) {
      throw new DomainError(
        'CONFLICT',
        `No checkpoint was signed: the trail is broken. ${made.problem}`,
        made.verdict?.firstBrokenId ? { firstBrokenId: made.verdict.firstBrokenId } : undefined,
      );
    }
    const published = publishedCheckpoint(made.checkpoint, ctx.auditKeys);
    c.get('deps').logger.info({ requestId: c.get('requestId'), ...published }, 'audit checkpoint');
    return c.json(published, 201);
  });

  app.openapi(startVerification, async (c) => {
    const { verification } = await startFullVerification(serviceContext(c));
    return c.json(verification, 202);
  });

  app.openapi(showVerification, async (c) =>
    c.json(await getVerification(serviceContext(c), c.req.valid('param').id), 200),
  );
}
