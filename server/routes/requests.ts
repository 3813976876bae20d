import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { clinicalSystems } from '../../db/schema/access.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { checkedTogether } from '../http/validation-hook.ts';
import {
  approveRequest,
  claimRequest,
  rejectRequest,
} from '../services/requests/decide-request.ts';
import { getRequest } from '../services/requests/get-request.ts';
import { listRequests } from '../services/requests/list-requests.ts';
import { raiseRequest, requestProblems } from '../services/requests/raise-request.ts';
import { requestActions } from '../services/requests/request-view.ts';
import { withdrawRequest } from '../services/requests/withdraw-request.ts';
import { dateOf, reason } from './people-schemas.ts';
import { pageCursor } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const RequestId = z.object({ id: z.uuid('must be a request id (UUID)') });
const who = z.object({ username: z.string(), displayName: z.string() });
const CodeAndName = z.object({ code: z.string(), name: z.string() });

const AccessRequest = z
  .object({
    id: z.uuid(),
    kind: z.enum(['assign', 'remove']),
    status: z.enum(['open', 'approved', 'rejected', 'withdrawn']),
    person: z.object({ id: z.uuid(), userId: z.string(), name: z.string() }),
    position: z
      .object({
        id: z.uuid(),
        name: z.string(),
        odsCode: z.string(),
        jobRoles: z.array(CodeAndName),
        activities: z.array(CodeAndName),
        systems: z.array(z.enum(clinicalSystems)),
      })
      .openapi({
        description:
          'The position, with what it grants: national RBAC job roles and activities, and the clinical systems it opens',
      }),
    startDate: z.string().nullable(),
    endDate: z.string().nullable(),
    note: z.string().nullable(),
    raisedBy: who,
    raisedAt: z.string(),
    claim: z.object({ by: who, until: z.string() }).nullable(),
    decidedBy: who.nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    actions: z.array(z.enum(requestActions)).openapi({
      description:
        'What you may do to this request now: `decide` (open, in your scope, neither raised by you nor for you, not held by another reviewer), `withdraw` (open, and raised by you)',
    }),
  })
  .openapi('AccessRequest');

const RaiseRequest = z
  .strictObject({
    kind: z.enum(['assign', 'remove']).default('assign'),
    personId: z.uuid('Choose the person'),
    positionId: z.uuid('Choose a position'),
    startDate: dateOf('start date').optional(),
    endDate: dateOf('end date').optional(),
    note: z
      .string('Write the note as text')
      .trim()
      .max(500, 'Shorten the note to 500 characters or fewer')
      .optional(),
  })
  .openapi('RaiseRequest');

const list = defineRoute({
  method: 'get',
  path: '/api/requests',
  operationId: 'listRequests',
  access: 'requests:raise-own',
  tags: ['Requests'],
  summary: 'Requests: your inbox to decide, or your own',
  description:
    "`view=inbox` (default for deciders): requests for organisations you decide for. `view=mine`: requests you raised or that are for you. Both list open requests and those decided in the last 30 days; with `personId` (a person's page), that person's requests however old. Newest first, a page at a time (`limit`, 50 unless asked): while `nextCursor` is not null, pass it as `cursor` for the next, older page.",
  request: {
    query: z.strictObject({
      view: z.enum(['inbox', 'mine']).optional(),
      status: z.enum(['open', 'decided']).optional(),
      personId: z.uuid().optional(),
      cursor: pageCursor(200).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: {
      description: 'A page of requests',
      content: json(z.object({ items: z.array(AccessRequest), nextCursor: z.string().nullable() })),
    },
  },
});

const raise = defineRoute({
  method: 'post',
  path: '/api/requests',
  operationId: 'raiseRequest',
  access: 'requests:raise-own',
  tags: ['Requests'],
  summary: 'Ask for a position to be assigned to (or removed from) a person',
  request: { body: { required: true, content: json(RaiseRequest) } },
  responses: { 201: { description: 'Raised', content: json(AccessRequest) } },
});

const get = defineRoute({
  method: 'get',
  path: '/api/requests/{id}',
  operationId: 'getRequest',
  access: 'requests:raise-own',
  tags: ['Requests'],
  summary: 'One request',
  request: { params: RequestId },
  responses: { 200: { description: 'The request', content: json(AccessRequest) } },
});

const claim = defineRoute({
  method: 'post',
  path: '/api/requests/{id}/claim',
  operationId: 'claimRequest',
  access: 'requests:decide',
  tags: ['Requests'],
  summary: 'Open a request to decide it: holds it for you for 15 minutes',
  request: { params: RequestId },
  responses: {
    200: { description: 'Claimed', content: json(AccessRequest) },
    409: { description: 'Held by another reviewer (named), or already decided' },
  },
});

const approve = defineRoute({
  method: 'post',
  path: '/api/requests/{id}/approve',
  operationId: 'approveRequest',
  access: 'requests:decide',
  tags: ['Requests'],
  summary: 'Approve: the assignment is made in the same transaction',
  request: {
    params: RequestId,
    body: {
      required: false,
      content: json(z.strictObject({ note: z.string().trim().max(500).optional() })),
    },
  },
  responses: { 200: { description: 'Approved', content: json(AccessRequest) } },
});

const reject = defineRoute({
  method: 'post',
  path: '/api/requests/{id}/reject',
  operationId: 'rejectRequest',
  access: 'requests:decide',
  tags: ['Requests'],
  summary: 'Reject, with a reason',
  request: {
    params: RequestId,
    body: { required: true, content: json(z.strictObject({ reason })) },
  },
  responses: { 200: { description: 'Rejected', content: json(AccessRequest) } },
});

const withdraw = defineRoute({
  method: 'post',
  path: '/api/requests/{id}/withdraw',
  access: 'requests:raise-own',
  operationId: 'withdrawRequest',
  tags: ['Requests'],
  summary: 'Withdraw a request you raised, before it is decided',
  request: {
    params: RequestId,
    body: {
      required: false,
      content: json(
        z.strictObject({
          note: z.string().trim().max(500, 'is longer than 500 characters').optional(),
        }),
      ),
    },
  },
  responses: {
    200: { description: 'Withdrawn', content: json(AccessRequest) },
    403: { description: 'You did not raise it' },
    404: { description: 'No such request' },
    409: { description: 'Already decided or withdrawn' },
  },
});

export function registerRequests(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    const ctx = serviceContext(c);
    const q = c.req.valid('query');
    const view = q.view ?? (ctx.actor?.permissions.includes('requests:decide') ? 'inbox' : 'mine');
    return c.json(await listRequests(ctx, { ...q, view }), 200);
  });
  app.openapi(
    raise,
    async (c) => {
      const ctx = serviceContext(c);
      const request = await raiseRequest(ctx, c.req.valid('json'));
      return c.json(await getRequest(ctx, request.id), 201);
    },
    checkedTogether(RaiseRequest, requestProblems),
  );
  app.openapi(get, async (c) =>
    c.json(await getRequest(serviceContext(c), c.req.valid('param').id), 200),
  );
  app.openapi(claim, async (c) => {
    const ctx = serviceContext(c);
    const { id } = c.req.valid('param');
    await claimRequest(ctx, id);
    return c.json(await getRequest(ctx, id), 200);
  });
  app.openapi(approve, async (c) => {
    const ctx = serviceContext(c);
    const { id } = c.req.valid('param');
    const body = c.req.raw.body ? c.req.valid('json') : {};
    await approveRequest(ctx, id, body.note);
    return c.json(await getRequest(ctx, id), 200);
  });
  app.openapi(reject, async (c) => {
    const ctx = serviceContext(c);
    const { id } = c.req.valid('param');
    await rejectRequest(ctx, id, c.req.valid('json').reason);
    return c.json(await getRequest(ctx, id), 200);
  });
  app.openapi(withdraw, async (c) => {
    const ctx = serviceContext(c);
    const { id } = c.req.valid('param');
    const body = c.req.raw.body ? c.req.valid('json') : {};
    await withdrawRequest(ctx, id, body.note);
    return c.json(await getRequest(ctx, id), 200);
  });
}
