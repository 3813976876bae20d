import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { createOrganisation } from '../services/organisations/create-organisation.ts';
import { createWorkgroup } from '../services/organisations/create-workgroup.ts';
import { getOrganisation } from '../services/organisations/get-organisation.ts';
import { listOrganisations } from '../services/organisations/list-organisations.ts';
import { listRegistrationOrganisations } from '../services/organisations/list-registration-organisations.ts';
import { listWorkgroups } from '../services/organisations/list-workgroups.ts';
import { odsCodeProblem } from '../services/organisations/ods-code.ts';
import { updateOrganisation } from '../services/organisations/update-organisation.ts';
import type { WorkgroupNode } from '../services/organisations/workgroup-tree.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

/** An ODS code, with a message that says how to put a wrong one right. */
export const OdsCode = z
  .string()
  .superRefine((value, ctx) => {
    const problem = odsCodeProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ pattern: '^[A-Z0-9]{3,6}$', minLength: 3, maxLength: 6, example: 'RWG01' });

const OdsParam = z.object({ ods: OdsCode });

const Workgroup: z.ZodType<WorkgroupNode> = z
  .lazy(() =>
    z.object({
      id: z.uuid(),
      name: z.string(),
      status: z.enum(['active', 'closed']),
      children: z.array(Workgroup),
    }),
  )
  .openapi('Workgroup', { type: 'object' });

const Organisation = z
  .object({
    odsCode: z.string(),
    name: z.string(),
    parentOdsCode: z.string().nullable(),
    status: z.enum(['active', 'closed']),
  })
  .openapi('Organisation');

const OrganisationWithWorkgroups = Organisation.extend({
  workgroups: z.array(Workgroup),
}).openapi('OrganisationWithWorkgroups');

const organisationName = z
  .string()
  .trim()
  .min(2, 'give the organisation its name')
  .max(200, 'is longer than 200 characters');

const CreateOrganisation = z
  .strictObject({ odsCode: OdsCode, name: organisationName, parentOdsCode: OdsCode.optional() })
  .openapi('CreateOrganisation');

const UpdateOrganisation = z
  .strictObject({
    name: organisationName.optional(),
    status: z.enum(['active', 'closed']).optional(),
  })
  .refine((b) => b.name !== undefined || b.status !== undefined, {
    message: 'give a new name or status',
  })
  .openapi('UpdateOrganisation');

const CreateWorkgroup = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(2, 'give the workgroup a name')
      .max(120, 'is longer than 120 characters'),
    parentId: z.uuid('must be the id (UUID) of a workgroup of this organisation').optional(),
  })
  .openapi('CreateWorkgroup');

const list = defineRoute({
  method: 'get',
  path: '/api/organisations',
  operationId: 'listOrganisations',
  access: 'organisations:read',
  tags: ['Organisations'],
  summary: 'Every organisation, by ODS code, with its parent and status',
  responses: {
    200: {
      description: 'Organisations',
      content: json(z.object({ items: z.array(Organisation) })),
    },
  },
});

const listForRegistration = defineRoute({
  method: 'get',
  path: '/api/registration-organisations',
  operationId: 'listRegistrationOrganisations',
  access: 'people:register',
  tags: ['Organisations'],
  summary: 'The open organisations you may register people in',
  responses: {
    200: {
      description: 'Organisations',
      content: json(z.object({ items: z.array(Organisation) })),
    },
  },
});

const get = defineRoute({
  method: 'get',
  path: '/api/organisations/{ods}',
  operationId: 'getOrganisation',
  access: 'organisations:read',
  tags: ['Organisations'],
  summary: 'One organisation with its workgroup tree',
  request: { params: OdsParam },
  responses: {
    200: { description: 'The organisation', content: json(OrganisationWithWorkgroups) },
    404: failure('No such organisation'),
  },
});

const create = defineRoute({
  method: 'post',
  path: '/api/organisations',
  operationId: 'createOrganisation',
  access: 'organisations:manage',
  tags: ['Organisations'],
  summary: 'Add an organisation: a site under an organisation you manage',
  description:
    'A top-level organisation (no `parentOdsCode`) needs a role that covers every organisation. An ODS code already in use is a 409.',
  request: { body: { required: true, content: json(CreateOrganisation) } },
  responses: {
    201: { description: 'Added', content: json(OrganisationWithWorkgroups) },
    409: failure('The ODS code is taken, or the parent is closed'),
  },
});

const update = defineRoute({
  method: 'patch',
  path: '/api/organisations/{ods}',
  operationId: 'updateOrganisation',
  access: 'organisations:manage',
  tags: ['Organisations'],
  summary: 'Rename, close or reopen an organisation you manage',
  description:
    'Closing waits until its sites and positions are closed (409 naming them); reopening a site needs its parent open.',
  request: { params: OdsParam, body: { required: true, content: json(UpdateOrganisation) } },
  responses: {
    200: { description: 'Updated', content: json(OrganisationWithWorkgroups) },
    404: failure('No such organisation'),
    409: failure('Something open is still under it, or its parent is closed'),
  },
});

const workgroups = defineRoute({
  method: 'get',
  path: '/api/organisations/{ods}/workgroups',
  operationId: 'listWorkgroups',
  access: 'organisations:read',
  tags: ['Organisations'],
  summary: "An organisation's workgroups, as a tree",
  request: { params: OdsParam },
  responses: {
    200: { description: 'Workgroups', content: json(z.object({ items: z.array(Workgroup) })) },
    404: failure('No such organisation'),
  },
});

const addWorkgroup = defineRoute({
  method: 'post',
  path: '/api/organisations/{ods}/workgroups',
  operationId: 'createWorkgroup',
  access: 'workgroups:manage',
  tags: ['Organisations'],
  summary: 'Add a workgroup, at the top or under one of the organisation’s workgroups',
  request: { params: OdsParam, body: { required: true, content: json(CreateWorkgroup) } },
  responses: {
    201: {
      description: 'The new workgroup’s id, and the tree with it',
      content: json(z.object({ id: z.uuid(), items: z.array(Workgroup) })),
    },
    404: failure('No such organisation'),
    409: failure('A sibling has that name, or the organisation is closed'),
  },
});

const organisationOut = <
  T extends {
    odsCode: string;
    name: string;
    parentOdsCode: string | null;
    status: 'active' | 'closed';
  },
>(
  o: T,
) => ({ odsCode: o.odsCode, name: o.name, parentOdsCode: o.parentOdsCode, status: o.status });

const withWorkgroups = <
  T extends Parameters<typeof organisationOut>[0] & { workgroups: WorkgroupNode[] },
>(
  o: T,
) => ({ ...organisationOut(o), workgroups: o.workgroups });

export function registerOrganisations(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) =>
    c.json({ items: (await listOrganisations(serviceContext(c))).map(organisationOut) }, 200),
  );
  app.openapi(listForRegistration, async (c) =>
    c.json(
      { items: (await listRegistrationOrganisations(serviceContext(c))).map(organisationOut) },
      200,
    ),
  );
  app.openapi(get, async (c) =>
    c.json(withWorkgroups(await getOrganisation(serviceContext(c), c.req.valid('param').ods)), 200),
  );
  app.openapi(create, async (c) =>
    c.json(withWorkgroups(await createOrganisation(serviceContext(c), c.req.valid('json'))), 201),
  );
  app.openapi(update, async (c) => {
    const org = await updateOrganisation(
      serviceContext(c),
      c.req.valid('param').ods,
      c.req.valid('json'),
    );
    return c.json(withWorkgroups(org), 200);
  });
  app.openapi(workgroups, async (c) =>
    c.json({ items: await listWorkgroups(serviceContext(c), c.req.valid('param').ods) }, 200),
  );
  app.openapi(addWorkgroup, async (c) => {
    const { id, tree } = await createWorkgroup(
      serviceContext(c),
      c.req.valid('param').ods,
      c.req.valid('json'),
    );
    return c.json({ id, items: tree }, 201);
  });
}
