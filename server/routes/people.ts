import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { DomainError } from '../errors.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { checkedTogether } from '../http/validation-hook.ts';
import { listAssignablePositions } from '../services/assignments/assignable-positions.ts';
import { closePerson } from '../services/people/close-person.ts';
import { getPerson, getPersonInFull } from '../services/people/get-person.ts';
import { personIdOfActor } from '../services/people/person-of-actor.ts';
import { reactivatePerson } from '../services/people/reactivate-person.ts';
import {
  identityCheckProblems,
  recordIdentityCheck,
} from '../services/people/record-identity-check.ts';
import { registerPerson, registrationProblems } from '../services/people/register-person.ts';
import { searchPeople } from '../services/people/search-people.ts';
import { suspendPerson } from '../services/people/suspend-person.ts';
import { personChangeProblems, updatePerson } from '../services/people/update-person.ts';
import {
  AssignablePosition,
  IdentityCheck,
  Person,
  PersonId,
  PersonStatusChange,
  PersonSummary,
  PersonView,
  RegisterPerson,
  UpdatePerson,
} from './people-schemas.ts';
import { pageCursor } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const search = defineRoute({
  method: 'get',
  path: '/api/people',
  operationId: 'searchPeople',
  access: 'people:read',
  tags: ['People'],
  summary: 'Find people by name, 12-digit user ID, email or card serial',
  description:
    'A name matches from the start of any of its words, ignoring case and accents ("briain" finds "Ó Briain"); a user ID with or without spaces; an email whole; a card serial (whole, or its first 6 characters or more) for callers who may read cards. Only people of the caller\'s organisations are found.',
  request: {
    query: z.strictObject({
      q: z.string().max(100).default(''),
      cursor: pageCursor(8192).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(25),
    }),
  },
  responses: {
    200: {
      description: 'A page of people',
      content: json(z.object({ items: z.array(PersonSummary), nextCursor: z.string().nullable() })),
    },
  },
});

const register = defineRoute({
  method: 'post',
  path: '/api/people',
  operationId: 'registerPerson',
  access: 'people:register',
  tags: ['People'],
  summary: 'Register a person (pending their identity check)',
  description:
    'A person with the same names and date of birth stops the registration (409 POSSIBLE_DUPLICATE) unless `duplicateOverride.reason` is given. With `username`, a login is made and a one-time activation code is returned, once.',
  request: { body: { required: true, content: json(RegisterPerson) } },
  responses: {
    201: {
      description: 'Registered',
      content: json(
        z.object({
          id: z.uuid(),
          userId: z.string(),
          activation: z
            .object({ username: z.string(), code: z.string(), expiresAt: z.string() })
            .nullable(),
        }),
      ),
    },
    409: { description: 'Possible duplicate' },
  },
});

const get = defineRoute({
  method: 'get',
  path: '/api/people/{id}',
  operationId: 'getPerson',
  access: 'people:read',
  tags: ['People'],
  summary: "A person's details, identity check and positions",
  request: { params: PersonId },
  responses: {
    200: {
      description:
        'The person: in full, or (`view: decider`) what a decider of their request needs',
      content: json(PersonView),
    },
    404: { description: 'No such person, or none you may see' },
  },
});

const update = defineRoute({
  method: 'patch',
  path: '/api/people/{id}',
  operationId: 'updatePerson',
  access: 'people:edit',
  tags: ['People'],
  summary: "Edit a person's details",
  request: { params: PersonId, body: { required: true, content: json(UpdatePerson) } },
  responses: { 200: { description: 'Updated', content: json(Person) } },
});

const identityCheck = defineRoute({
  method: 'post',
  path: '/api/people/{id}/identity-check',
  operationId: 'recordIdentityCheck',
  access: 'people:register',
  tags: ['People'],
  summary: 'Record the documents seen in person (e-GIF level 3)',
  description:
    'Three documents, at least one photo ID and one proof of address, none expired. Document numbers are kept only as a keyed hash; one already seen for another person stops the check (409 POSSIBLE_DUPLICATE) unless `duplicateOverride.reason` is given.',
  request: { params: PersonId, body: { required: true, content: json(IdentityCheck) } },
  responses: {
    200: {
      description: 'Check recorded',
      content: json(z.object({ checkId: z.uuid(), status: z.string() })),
    },
  },
});

/** Suspend, reactivate, close: the same shape, each with a reason for the audit trail. */
function statusRoute(
  verb: 'suspend' | 'reactivate' | 'close',
  operationId: string,
  summary: string,
  description: string,
) {
  return defineRoute({
    method: 'post',
    path: `/api/people/{id}/${verb}`,
    operationId,
    access: 'people:change-status',
    tags: ['People'],
    summary,
    description,
    request: { params: PersonId, body: { required: true, content: json(PersonStatusChange) } },
    responses: {
      200: { description: 'The person as they now are', content: json(Person) },
      404: { description: 'No such person, or none you may see' },
      409: { description: 'Their status does not allow it' },
      ...(verb === 'close'
        ? {
            503: {
              description:
                'Their cards have certificates of ours and the certificate authority’s key is not open: nothing changed',
            },
          }
        : {}),
    },
  });
}

const suspend = statusRoute(
  'suspend',
  'suspendPerson',
  'Suspend an active person, with a reason',
  'They keep their record and positions; while suspended nobody can give them a position or raise a request for them. Nobody suspends themselves.',
);

const reactivate = statusRoute(
  'reactivate',
  'reactivatePerson',
  'Make a suspended person active again, with a reason',
  'Nobody reactivates themselves.',
);

const close = statusRoute(
  'close',
  'closePerson',
  'Close a person, with a reason',
  'For someone who left or was registered in error. The record stays and its user ID is never reused; every position they hold now or later ends, their open requests are withdrawn, their login is disabled and their cards are cancelled as `left` (certificates revoked as affiliationChanged, on the CRL at once), all in one transaction. A closed person is never reopened. Nobody closes themselves.',
);

const assignablePositions = defineRoute({
  method: 'get',
  path: '/api/people/{id}/assignable-positions',
  operationId: 'listAssignablePositions',
  access: 'requests:raise-own',
  tags: ['Assignments'],
  summary: 'The positions you may give this person, and how',
  description:
    "Active positions of the person's organisations, the sites under them and the trust above them, that they do not hold and have not asked for, each with what the caller may do: `assign` directly, or `request` it for a decider. Empty unless the person is active and in the caller's organisations.",
  request: { params: PersonId },
  responses: {
    200: {
      description: 'Positions, by organisation and name',
      content: json(z.object({ items: z.array(AssignablePosition) })),
    },
    404: { description: 'No such person, or none you may see' },
  },
});

const mine = defineRoute({
  method: 'get',
  path: '/api/me/person',
  operationId: 'getOwnPerson',
  access: 'profile:read-own',
  tags: ['People'],
  summary: 'Your own person record: details, identity check and positions',
  responses: {
    200: { description: 'You', content: json(Person) },
    404: { description: 'No person record' },
  },
});

export function registerPeople(app: OpenAPIHono<AppEnv>) {
  app.openapi(search, async (c) =>
    c.json(await searchPeople(serviceContext(c), c.req.valid('query')), 200),
  );

  app.openapi(
    register,
    async (c) => {
      const result = await registerPerson(serviceContext(c), c.req.valid('json'));
      return c.json(
        {
          ...result,
          activation: result.activation
            ? { ...result.activation, expiresAt: result.activation.expiresAt.toISOString() }
            : null,
        },
        201,
      );
    },
    checkedTogether(RegisterPerson, registrationProblems),
  );

  app.openapi(get, async (c) =>
    c.json(await getPerson(serviceContext(c), c.req.valid('param').id), 200),
  );

  app.openapi(
    update,
    async (c) => {
      const ctx = serviceContext(c);
      const { id } = c.req.valid('param');
      await updatePerson(ctx, id, c.req.valid('json'));
      return c.json(await getPersonInFull(ctx, id), 200);
    },
    checkedTogether(UpdatePerson, personChangeProblems),
  );

  app.openapi(
    identityCheck,
    async (c) => {
      const key = c.get('deps').config.documentHashKey;
      if (!key) throw new DomainError('UNAVAILABLE', 'The server has no DOCUMENT_HASH_KEY set.');
      const result = await recordIdentityCheck(
        serviceContext(c),
        c.req.valid('param').id,
        c.req.valid('json'),
        key,
      );
      return c.json(result, 200);
    },
    checkedTogether(IdentityCheck, identityCheckProblems),
  );

  for (const [route, change] of [
    [suspend, suspendPerson],
    [reactivate, reactivatePerson],
    [close, closePerson],
  ] as const) {
    app.openapi(route, async (c) => {
      const ctx = serviceContext(c);
      const { id } = c.req.valid('param');
      await change(ctx, id, c.req.valid('json').reason);
      return c.json(await getPersonInFull(ctx, id), 200);
    });
  }

  app.openapi(assignablePositions, async (c) =>
    c.json(
      { items: await listAssignablePositions(serviceContext(c), c.req.valid('param').id) },
      200,
    ),
  );

  app.openapi(mine, async (c) => {
    const ctx = serviceContext(c);
    const personId = await personIdOfActor(ctx);
    if (!personId)
      throw new DomainError('NOT_FOUND', 'Your account is not linked to a person record.');
    return c.json(await getPersonInFull(ctx, personId), 200);
  });
}
