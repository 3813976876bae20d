import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { clinicalSystems } from '../../db/schema/access.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { checkedTogether } from '../http/validation-hook.ts';
import { closePosition } from '../services/positions/close-position.ts';
import { createPosition, newPositionProblems } from '../services/positions/create-position.ts';
import { getPosition } from '../services/positions/get-position.ts';
import { listPositions } from '../services/positions/list-positions.ts';
import { listRequestablePositions } from '../services/positions/list-requestable-positions.ts';
import { updatePosition } from '../services/positions/update-position.ts';
import { OdsCode } from './organisations.ts';
import { pageCursor } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

const PositionId = z.object({ id: z.uuid('must be a position id (UUID)') });
const CodeAndName = z.object({ code: z.string(), name: z.string() });

const Position = z
  .object({
    id: z.uuid(),
    odsCode: z.string(),
    name: z.string(),
    jobRoles: z.array(CodeAndName),
    activities: z.array(CodeAndName),
    workgroups: z.array(z.object({ id: z.uuid(), name: z.string() })),
    systems: z.array(z.enum(clinicalSystems)),
    assignable: z.boolean().openapi({ description: 'Sponsors may assign it without a request' }),
    status: z.enum(['active', 'closed']),
    closedReason: z.string().nullable(),
    closedAt: z.iso.datetime().nullable(),
  })
  .openapi('Position');

const content = {
  name: z
    .string('Give the position a name')
    .trim()
    .min(2, 'Give the position a name')
    .max(120, 'Shorten the name to 120 characters or fewer'),
  jobRoles: z
    .array(
      z
        .string('Enter a job role code, like R8001')
        .regex(/^R\d{4}$/, 'Enter a job role code, like R8001'),
      'Choose at least one job role, like R8001',
    )
    .min(1, 'Choose at least one job role, like R8001')
    .max(20, 'Choose at most 20 job roles'),
  activities: z
    .array(
      z
        .string('Enter an activity code, like B0380')
        .regex(/^B\d{4}$/, 'Enter an activity code, like B0380'),
      'Give the activities as a list',
    )
    .max(50, 'Choose at most 50 activities'),
  workgroupIds: z
    .array(
      z.uuid('Choose a workgroup of the organisation (its id, a UUID)'),
      'Give the workgroups as a list',
    )
    .max(50, 'Choose at most 50 workgroups'),
  systems: z
    .array(
      z.enum(clinicalSystems, `Choose systems from ${clinicalSystems.join(', ')}`),
      'Give the systems as a list',
    )
    .max(clinicalSystems.length),
  assignable: z.boolean('Say whether sponsors may assign it (true or false)'),
};

const CreatePosition = z.strictObject({ odsCode: OdsCode, ...content }).openapi('CreatePosition');

const UpdatePosition = z
  .strictObject(content)
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'Change at least one field',
  })
  .openapi('UpdatePosition');

const ClosePosition = z
  .strictObject({
    reason: z
      .string('give the reason for closing it')
      .trim()
      .min(3, 'give the reason for closing it, in a few words')
      .max(500, 'is longer than 500 characters'),
  })
  .openapi('ClosePosition');

const list = defineRoute({
  method: 'get',
  path: '/api/positions',
  operationId: 'listPositions',
  access: 'positions:read',
  tags: ['Positions'],
  summary: 'Positions, by organisation, status and part of the name',
  request: {
    query: z.strictObject({
      odsCode: OdsCode.optional(),
      status: z.enum(['active', 'closed']).optional(),
      q: z.string().max(100, 'is longer than 100 characters').optional(),
      cursor: pageCursor(1024).optional(),
      limit: z.coerce.number().int().min(1).max(200).optional(),
    }),
  },
  responses: {
    200: {
      description: 'A page of positions, by organisation and name; `nextCursor` asks for the next',
      content: json(z.object({ items: z.array(Position), nextCursor: z.string().nullable() })),
    },
  },
});

const get = defineRoute({
  method: 'get',
  path: '/api/positions/{id}',
  operationId: 'getPosition',
  access: 'positions:read',
  tags: ['Positions'],
  summary: 'One position',
  request: { params: PositionId },
  responses: {
    200: { description: 'The position', content: json(Position) },
    404: failure('No such position'),
  },
});

const create = defineRoute({
  method: 'post',
  path: '/api/positions',
  operationId: 'createPosition',
  access: 'positions:manage',
  tags: ['Positions'],
  summary: 'Create a position of an organisation you manage',
  description:
    'Job roles and activities must be in the national catalogue and workgroups the organisation’s own (400 naming any that are not). Names are unique among the organisation’s open positions, whatever their case (409).',
  request: { body: { required: true, content: json(CreatePosition) } },
  responses: {
    201: { description: 'Created', content: json(Position) },
    409: failure('The name is taken, or the organisation is closed'),
  },
});

const update = defineRoute({
  method: 'patch',
  path: '/api/positions/{id}',
  operationId: 'updatePosition',
  access: 'positions:manage',
  tags: ['Positions'],
  summary: 'Edit an open position of an organisation you manage',
  request: { params: PositionId, body: { required: true, content: json(UpdatePosition) } },
  responses: {
    200: { description: 'Updated', content: json(Position) },
    404: failure('No such position'),
    409: failure('The position is closed, or the name is taken'),
  },
});

const close = defineRoute({
  method: 'post',
  path: '/api/positions/{id}/close',
  operationId: 'closePosition',
  access: 'positions:manage',
  tags: ['Positions'],
  summary: 'Close a position, with a reason, ending every open assignment of it',
  description:
    'Ended assignments stay on people’s records, marked as ended by the position closing, with the reason.',
  request: { params: PositionId, body: { required: true, content: json(ClosePosition) } },
  responses: {
    200: {
      description: 'Closed',
      content: json(
        z
          .object({ position: Position, assignmentsEnded: z.number().int() })
          .openapi('ClosedPosition'),
      ),
    },
    404: failure('No such position'),
    409: failure('Already closed'),
  },
});

const RequestablePosition = Position.extend({
  availability: z.enum(['requestable', 'held', 'requested']).openapi({
    description:
      '`requestable`: you may ask for it; `held`: you hold it (today or from a later start); `requested`: your request for it is open',
  }),
}).openapi('RequestablePosition');

const requestable = defineRoute({
  method: 'get',
  path: '/api/me/requestable-positions',
  access: 'requests:raise-own',
  operationId: 'listRequestablePositions',
  tags: ['Positions'],
  summary: 'The positions you may ask for: those of your organisations, their sites and trust',
  description:
    'Open positions of the organisations you work for, of the sites under them and of the trust above them (never another trust’s). Those you hold or have asked for are listed too, marked by `availability`.',
  responses: {
    200: {
      description: 'Positions you may ask for',
      content: json(z.object({ items: z.array(RequestablePosition) })),
    },
    404: failure('Your account is not linked to a person record'),
  },
});

export function registerPositions(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) =>
    c.json(await listPositions(serviceContext(c), c.req.valid('query')), 200),
  );
  app.openapi(requestable, async (c) =>
    c.json({ items: await listRequestablePositions(serviceContext(c)) }, 200),
  );
  app.openapi(get, async (c) =>
    c.json(await getPosition(serviceContext(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    create,
    async (c) => c.json(await createPosition(serviceContext(c), c.req.valid('json')), 201),
    checkedTogether(CreatePosition, newPositionProblems),
  );
  app.openapi(update, async (c) =>
    c.json(
      await updatePosition(serviceContext(c), c.req.valid('param').id, c.req.valid('json')),
      200,
    ),
  );
  app.openapi(close, async (c) =>
    c.json(
      await closePosition(serviceContext(c), c.req.valid('param').id, c.req.valid('json').reason),
      200,
    ),
  );
}
