import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { and, eq, ilike, type SQL } from 'drizzle-orm';
import { clinicalSystems, positions } from '../../db/schema/access.ts';
import { NotFoundError } from '../errors.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import {
  closePosition,
  createPosition,
  updatePosition,
} from '../services/positions/manage-positions.ts';
import { selectPositions } from '../services/positions/position-view.ts';
import { reason } from './people-schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const PositionId = z.object({ id: z.uuid('must be a position id (UUID)') });
const odsCode = z
  .string()
  .regex(/^[A-Z0-9]{3,6}$/, 'must be an ODS code: 3 to 6 capital letters and digits');
const entry = z.object({ code: z.string(), name: z.string() });

const Position = z
  .object({
    id: z.uuid(),
    odsCode: z.string(),
    name: z.string(),
    jobRoles: z.array(entry),
    activities: z.array(entry),
    workgroups: z.array(z.object({ id: z.uuid(), name: z.string() })),
    systems: z.array(z.string()),
    assignable: z.boolean(),
    status: z.enum(['active', 'closed']),
    closedReason: z.string().nullable(),
    closedAt: z.string().nullable(),
  })
  .openapi('Position');

const content = {
  name: z.string().trim().min(2, 'give the position a name').max(120),
  jobRoles: z.array(z.string().regex(/^R\d{4}$/, 'must be an R-code such as R8001')).max(20),
  activities: z.array(z.string().regex(/^B\d{4}$/, 'must be a B-code such as B0380')).max(50),
  workgroupIds: z.array(z.uuid()).max(50),
  systems: z.array(z.enum(clinicalSystems)).max(clinicalSystems.length),
  assignable: z.boolean(),
};
const CreatePosition = z.strictObject({ odsCode, ...content }).openapi('CreatePosition');
const UpdatePosition = z.strictObject(content).partial().openapi('UpdatePosition');

const routes = {
  list: defineRoute({
    method: 'get',
    path: '/api/positions',
    access: 'positions:read',
    tags: ['Positions'],
    summary: 'Positions, by organisation and status',
    request: {
      query: z.strictObject({
        odsCode: odsCode.optional(),
        status: z.enum(['active', 'closed']).optional(),
        q: z.string().max(100).optional(),
      }),
    },
    responses: {
      200: { description: 'Positions', content: json(z.object({ items: z.array(Position) })) },
    },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/positions/{id}',
    access: 'positions:read',
    tags: ['Positions'],
    summary: 'One position',
    request: { params: PositionId },
    responses: { 200: { description: 'The position', content: json(Position) } },
  }),
  create: defineRoute({
    method: 'post',
    path: '/api/positions',
    access: 'positions:manage',
    tags: ['Positions'],
    summary: 'Create a position',
    request: { body: { required: true, content: json(CreatePosition) } },
    responses: { 201: { description: 'Created', content: json(Position) } },
  }),
  update: defineRoute({
    method: 'patch',
    path: '/api/positions/{id}',
    access: 'positions:manage',
    tags: ['Positions'],
    summary: 'Edit an open position',
    request: { params: PositionId, body: { required: true, content: json(UpdatePosition) } },
    responses: { 200: { description: 'Updated', content: json(Position) } },
  }),
  close: defineRoute({
    method: 'post',
    path: '/api/positions/{id}/close',
    access: 'positions:manage',
    tags: ['Positions'],
    summary: 'Close a position: needs a reason, and ends every assignment of it',
    request: {
      params: PositionId,
      body: { required: true, content: json(z.strictObject({ reason })) },
    },
    responses: {
      200: {
        description: 'Closed',
        content: json(z.object({ position: Position, assignmentsEnded: z.number().int() })),
      },
    },
  }),
};

export function registerPositions(app: OpenAPIHono<AppEnv>) {
  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const where: SQL[] = [];
    if (q.odsCode) where.push(eq(positions.odsCode, q.odsCode));
    if (q.status) where.push(eq(positions.status, q.status));
    if (q.q) where.push(ilike(positions.name, `%${q.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`));
    return c.json(
      { items: await selectPositions(serviceContext(c), where.length ? and(...where) : undefined) },
      200,
    );
  });
  app.openapi(routes.get, async (c) => {
    const [position] = await selectPositions(
      serviceContext(c),
      eq(positions.id, c.req.valid('param').id),
    );
    if (!position) throw new NotFoundError('There is no such position.');
    return c.json(position, 200);
  });
  app.openapi(routes.create, async (c) => {
    const position = await createPosition(serviceContext(c), c.req.valid('json'));
    if (!position) throw new Error('created position was not read back');
    return c.json(position, 201);
  });
  app.openapi(routes.update, async (c) => {
    const position = await updatePosition(
      serviceContext(c),
      c.req.valid('param').id,
      c.req.valid('json'),
    );
    if (!position) throw new NotFoundError('There is no such position.');
    return c.json(position, 200);
  });
  app.openapi(routes.close, async (c) => {
    const result = await closePosition(
      serviceContext(c),
      c.req.valid('param').id,
      c.req.valid('json').reason,
    );
    if (!result.position) throw new NotFoundError('There is no such position.');
    return c.json({ position: result.position, assignmentsEnded: result.assignmentsEnded }, 200);
  });
}
