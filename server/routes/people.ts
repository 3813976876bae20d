import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { DomainError } from '../errors.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { checkedTogether } from '../http/validation-hook.ts';
import { getPerson, getPersonInFull } from '../services/people/get-person.ts';
import { personIdOfActor } from '../services/people/person-of-actor.ts';
import {
  identityCheckProblems,
  recordIdentityCheck,
} from '../services/people/record-identity-check.ts';
import { registerPerson, registrationProblems } from '../services/people/register-person.ts';
import { searchPeople } from '../services/people/search-people.ts';
import { personChangeProblems, updatePerson } from '../services/people/update-person.ts';
import {
  IdentityCheck,
  Person,
  PersonId,
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
  summary: 'Find people by name prefix, 12-digit user ID or email',
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
  summary: "Edit a person's details or status",
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

  app.openapi(mine, async (c) => {
    const ctx = serviceContext(c);
    const personId = await personIdOfActor(ctx);
    if (!personId)
      throw new DomainError('NOT_FOUND', 'Your account is not linked to a person record.');
    return c.json(await getPersonInFull(ctx, personId), 200);
  });
}
