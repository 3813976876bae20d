import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { asc } from 'drizzle-orm';
import { activities, jobRoles } from '../../db/schema/access.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import {
  createOrganisation,
  createWorkgroup,
  getOrganisation,
  listOrganisations,
  type WorkgroupNode,
  workgroupTree,
} from '../services/organisations/manage-organisations.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const odsCode = z
  .string()
  .regex(/^[A-Z0-9]{3,6}$/, 'must be an ODS code: 3 to 6 capital letters and digits');
const OdsParam = z.object({ ods: odsCode });

const Workgroup: z.ZodType<WorkgroupNode> = z
  .lazy(() =>
    z.object({ id: z.uuid(), name: z.string(), status: z.string(), children: z.array(Workgroup) }),
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

const CatalogueEntry = z.object({ code: z.string(), name: z.string() }).openapi('CatalogueEntry');

const routes = {
  list: defineRoute({
    method: 'get',
    path: '/api/organisations',
    access: 'organisations:read',
    tags: ['Organisations'],
    summary: 'Every organisation, by ODS code',
    responses: {
      200: {
        description: 'Organisations',
        content: json(z.object({ items: z.array(Organisation) })),
      },
    },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/organisations/{ods}',
    access: 'organisations:read',
    tags: ['Organisations'],
    summary: 'One organisation with its workgroup tree',
    request: { params: OdsParam },
    responses: {
      200: {
        description: 'The organisation',
        content: json(Organisation.extend({ workgroups: z.array(Workgroup) })),
      },
    },
  }),
  create: defineRoute({
    method: 'post',
    path: '/api/organisations',
    access: 'organisations:manage',
    tags: ['Organisations'],
    summary: 'Add an organisation (a site under a trust you manage)',
    request: {
      body: {
        required: true,
        content: json(
          z.strictObject({
            odsCode,
            name: z.string().trim().min(2).max(200),
            parentOdsCode: odsCode.optional(),
          }),
        ),
      },
    },
    responses: {
      201: {
        description: 'Added',
        content: json(Organisation.extend({ workgroups: z.array(Workgroup) })),
      },
    },
  }),
  workgroups: defineRoute({
    method: 'get',
    path: '/api/organisations/{ods}/workgroups',
    access: 'organisations:read',
    tags: ['Organisations'],
    summary: "An organisation's workgroups, as a tree",
    request: { params: OdsParam },
    responses: {
      200: { description: 'Workgroups', content: json(z.object({ items: z.array(Workgroup) })) },
    },
  }),
  addWorkgroup: defineRoute({
    method: 'post',
    path: '/api/organisations/{ods}/workgroups',
    access: 'workgroups:manage',
    tags: ['Organisations'],
    summary: 'Add a workgroup',
    request: {
      params: OdsParam,
      body: {
        required: true,
        content: json(
          z.strictObject({
            name: z.string().trim().min(2).max(120),
            parentId: z.uuid().optional(),
          }),
        ),
      },
    },
    responses: {
      201: {
        description: 'The tree with it',
        content: json(z.object({ items: z.array(Workgroup) })),
      },
    },
  }),
  jobRoles: defineRoute({
    method: 'get',
    path: '/api/job-roles',
    access: 'positions:read',
    tags: ['Catalogue'],
    summary: 'National RBAC job roles (R-codes)',
    responses: {
      200: {
        description: 'Job roles',
        content: json(z.object({ items: z.array(CatalogueEntry) })),
      },
    },
  }),
  activities: defineRoute({
    method: 'get',
    path: '/api/activities',
    access: 'positions:read',
    tags: ['Catalogue'],
    summary: 'National RBAC activities (B-codes)',
    responses: {
      200: {
        description: 'Activities',
        content: json(z.object({ items: z.array(CatalogueEntry) })),
      },
    },
  }),
};

const organisationOut = (o: {
  odsCode: string;
  name: string;
  parentOdsCode: string | null;
  status: 'active' | 'closed';
}) => ({
  odsCode: o.odsCode,
  name: o.name,
  parentOdsCode: o.parentOdsCode,
  status: o.status,
});

export function registerOrganisations(app: OpenAPIHono<AppEnv>) {
  app.openapi(routes.list, async (c) =>
    c.json({ items: (await listOrganisations(serviceContext(c))).map(organisationOut) }, 200),
  );
  app.openapi(routes.get, async (c) => {
    const org = await getOrganisation(serviceContext(c), c.req.valid('param').ods);
    return c.json({ ...organisationOut(org), workgroups: org.workgroups }, 200);
  });
  app.openapi(routes.create, async (c) => {
    const org = await createOrganisation(serviceContext(c), c.req.valid('json'));
    return c.json({ ...organisationOut(org), workgroups: org.workgroups }, 201);
  });
  app.openapi(routes.workgroups, async (c) => {
    const ctx = serviceContext(c);
    const { ods } = c.req.valid('param');
    await getOrganisation(ctx, ods);
    return c.json({ items: await workgroupTree(ctx, ods) }, 200);
  });
  app.openapi(routes.addWorkgroup, async (c) =>
    c.json(
      {
        items: await createWorkgroup(
          serviceContext(c),
          c.req.valid('param').ods,
          c.req.valid('json'),
        ),
      },
      201,
    ),
  );
  app.openapi(routes.jobRoles, async (c) =>
    c.json(
      { items: await serviceContext(c).db.select().from(jobRoles).orderBy(asc(jobRoles.code)) },
      200,
    ),
  );
  app.openapi(routes.activities, async (c) =>
    c.json(
      { items: await serviceContext(c).db.select().from(activities).orderBy(asc(activities.code)) },
      200,
    ),
  );
}
