import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { checkedTogether } from '../http/validation-hook.ts';
import {
  assignPosition,
  directAssignmentProblems,
} from '../services/assignments/assign-position.ts';
import { removeAssignment } from '../services/assignments/remove-assignment.ts';
import { listPersonAssignments } from '../services/people/get-person.ts';
import { Assignment, AssignPosition, PersonId, RemoveAssignment } from './people-schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const list = defineRoute({
  method: 'get',
  path: '/api/people/{id}/assignments',
  operationId: 'listAssignments',
  access: 'people:read',
  tags: ['Assignments'],
  summary: "A person's positions, current and ended",
  request: { params: PersonId },
  responses: {
    200: { description: 'Assignments', content: json(z.object({ items: z.array(Assignment) })) },
  },
});

const assign = defineRoute({
  method: 'post',
  path: '/api/people/{id}/assignments',
  operationId: 'assignPosition',
  access: 'assignments:assign-assignable',
  tags: ['Assignments'],
  summary: 'Assign a position directly',
  description:
    'RA users may assign any position of their organisations; sponsors only positions marked assignable, of organisations they sponsor; either only to people of their own organisations (a person you cannot see is a 404, one you see only as the subject of a request you decide is a 403: decide the request instead). Nobody assigns a position to themselves.',
  request: { params: PersonId, body: { required: true, content: json(AssignPosition) } },
  responses: { 201: { description: 'Assigned', content: json(z.object({ id: z.uuid() })) } },
});

const remove = defineRoute({
  method: 'post',
  path: '/api/people/{id}/assignments/{assignmentId}/remove',
  operationId: 'removeAssignment',
  access: 'assignments:manage',
  tags: ['Assignments'],
  summary: 'End an assignment now, with a note',
  request: {
    params: PersonId.extend({ assignmentId: z.uuid('must be an assignment id (UUID)') }),
    body: { required: true, content: json(RemoveAssignment) },
  },
  responses: { 204: { description: 'Removed' } },
});

export function registerAssignments(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) =>
    c.json({ items: await listPersonAssignments(serviceContext(c), c.req.valid('param').id) }, 200),
  );
  app.openapi(
    assign,
    async (c) => {
      const body = c.req.valid('json');
      const row = await assignPosition(serviceContext(c), {
        ...body,
        personId: c.req.valid('param').id,
      });
      return c.json({ id: row.id }, 201);
    },
    checkedTogether(AssignPosition, directAssignmentProblems),
  );
  app.openapi(remove, async (c) => {
    const { id, assignmentId } = c.req.valid('param');
    await removeAssignment(serviceContext(c), {
      personId: id,
      assignmentId,
      note: c.req.valid('json').note,
    });
    return c.body(null, 204);
  });
}
