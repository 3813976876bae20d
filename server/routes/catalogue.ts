import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { listActivities } from '../services/positions/list-activities.ts';
import { listJobRoles } from '../services/positions/list-job-roles.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const CatalogueEntry = z
  .object({ code: z.string(), name: z.string() })
  .openapi('CatalogueEntry', { description: 'A national RBAC job role or activity' });

const Catalogue = z.object({ items: z.array(CatalogueEntry) });

const jobRoles = defineRoute({
  method: 'get',
  path: '/api/job-roles',
  operationId: 'listJobRoles',
  access: 'positions:read',
  tags: ['Catalogue'],
  summary: 'National RBAC job roles (R-codes), by code',
  responses: { 200: { description: 'Job roles', content: json(Catalogue) } },
});

const activities = defineRoute({
  method: 'get',
  path: '/api/activities',
  operationId: 'listActivities',
  access: 'positions:read',
  tags: ['Catalogue'],
  summary: 'National RBAC activities (B-codes), by code',
  responses: { 200: { description: 'Activities', content: json(Catalogue) } },
});

export function registerCatalogue(app: OpenAPIHono<AppEnv>) {
  app.openapi(jobRoles, async (c) => c.json({ items: await listJobRoles(serviceContext(c)) }, 200));
  app.openapi(activities, async (c) =>
    c.json({ items: await listActivities(serviceContext(c)) }, 200),
  );
}
