import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import {
  issueEnrolmentCode,
  registerWorkstation,
  revokeWorkstation,
} from '../services/workstations/manage-workstations.ts';
import { listWorkstations } from '../services/workstations/workstation-view.ts';
import { OdsCode } from './organisations.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

export const Workstation = z
  .object({
    id: z.uuid(),
    name: z.string(),
    location: z.string().nullable(),
    organisation: z.object({ odsCode: z.string(), name: z.string() }),
    status: z.enum(['awaiting_enrolment', 'enrolled', 'revoked']),
    enrolmentExpiresAt: z.iso.datetime().nullable().openapi({
      description: 'When the unused enrolment code stops working; null when there is none',
    }),
    enrolledAt: z.iso.datetime().nullable(),
    lastSeenAt: z.iso.datetime().nullable().openapi({
      description: 'When the server last received an observation from its agent',
    }),
    revokedAt: z.iso.datetime().nullable(),
    revokedReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Workstation');

const Enrolment = z
  .object({
    workstation: Workstation,
    enrolment: z.object({
      code: z.string().openapi({
        description:
          'The one-time enrolment code, shown this once: npm run agent -- enrol --server URL --code CODE',
        example: 'K7QM-4TZP-9XWD-2HRB',
      }),
      expiresAt: z.iso.datetime(),
    }),
  })
  .openapi('WorkstationEnrolment');

const WorkstationId = z.object({ id: z.uuid('must be a workstation id (UUID)') });

const RegisterWorkstation = z
  .strictObject({
    name: z
      .string('give the workstation a name')
      .trim()
      .min(2, 'give the workstation a name, such as "AMU desk 1"')
      .max(100, 'is longer than 100 characters'),
    location: z.string().trim().max(200, 'is longer than 200 characters').nullish(),
    odsCode: OdsCode,
  })
  .openapi('RegisterWorkstation');

const RevokeWorkstation = z
  .strictObject({
    reason: z
      .string('give the reason for revoking it')
      .trim()
      .min(3, 'give the reason for revoking it, in a few words')
      .max(500, 'is longer than 500 characters'),
  })
  .openapi('RevokeWorkstation');

const list = defineRoute({
  method: 'get',
  path: '/api/workstations',
  operationId: 'listWorkstations',
  access: 'workstations:manage',
  tags: ['Workstations'],
  summary: 'Workstations of the organisations you manage, newest first',
  responses: {
    200: {
      description: 'Workstations',
      content: json(z.object({ items: z.array(Workstation) })),
    },
  },
});

const register = defineRoute({
  method: 'post',
  path: '/api/workstations',
  operationId: 'registerWorkstation',
  access: 'workstations:manage',
  tags: ['Workstations'],
  summary: 'Register a workstation, and get its one-time enrolment code (valid 24 hours)',
  request: { body: { required: true, content: json(RegisterWorkstation) } },
  responses: {
    201: { description: 'Registered', content: json(Enrolment) },
    409: failure('The organisation has a workstation of that name'),
  },
});

const newCode = defineRoute({
  method: 'post',
  path: '/api/workstations/{id}/enrolment-code',
  operationId: 'issueEnrolmentCode',
  access: 'workstations:manage',
  tags: ['Workstations'],
  summary: 'A new one-time enrolment code; any unused one stops working',
  request: { params: WorkstationId },
  responses: {
    201: { description: 'A new code', content: json(Enrolment) },
    404: failure('No such workstation'),
    409: failure('The workstation is revoked'),
  },
});

const revoke = defineRoute({
  method: 'post',
  path: '/api/workstations/{id}/revoke',
  operationId: 'revokeWorkstation',
  access: 'workstations:manage',
  tags: ['Workstations'],
  summary: 'Revoke a workstation: its agent’s credential stops working at once',
  request: { params: WorkstationId, body: { required: true, content: json(RevokeWorkstation) } },
  responses: {
    200: { description: 'Revoked', content: json(Workstation) },
    404: failure('No such workstation'),
    409: failure('Already revoked'),
  },
});

export function registerWorkstations(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => c.json({ items: await listWorkstations(serviceContext(c)) }, 200));
  app.openapi(register, async (c) =>
    c.json(await registerWorkstation(serviceContext(c), c.req.valid('json')), 201),
  );
  app.openapi(newCode, async (c) =>
    c.json(await issueEnrolmentCode(serviceContext(c), c.req.valid('param').id), 201),
  );
  app.openapi(revoke, async (c) =>
    c.json(
      await revokeWorkstation(
        serviceContext(c),
        c.req.valid('param').id,
        c.req.valid('json').reason,
      ),
      200,
    ),
  );
}
