import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { listDocumentTypes } from '../services/people/document-types.ts';
import { listActivities } from '../services/positions/list-activities.ts';
import { listJobRoles } from '../services/positions/list-job-roles.ts';
import { DocumentType } from './people-schemas.ts';

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

const documentTypes = defineRoute({
  method: 'get',
  path: '/api/document-types',
  operationId: 'listDocumentTypes',
  access: 'people:register',
  tags: ['Catalogue'],
  summary: 'Identity documents accepted as seen in person (e-GIF level 3)',
  description:
    'Photo IDs first, then proofs of address, then other documents. An identity check needs three, at least one photo ID and one proof of address, none expired.',
  responses: {
    200: {
      description: 'Document types',
      content: json(z.object({ items: z.array(DocumentType) })),
    },
  },
});

export function registerCatalogue(app: OpenAPIHono<AppEnv>) {
  app.openapi(jobRoles, async (c) => c.json({ items: await listJobRoles(serviceContext(c)) }, 200));
  app.openapi(activities, async (c) =>
    c.json({ items: await listActivities(serviceContext(c)) }, 200),
  );
  app.openapi(documentTypes, (c) => c.json({ items: listDocumentTypes() }, 200));
}
