import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/app-env.ts';
import { notFoundApi } from '../http/error-handler.ts';

// Swagger UI is served from the npm package, never a CDN: the app must work offline.
const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Smartcard RA API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script>
</body>
</html>`;

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io
// for a badge. Nothing else it does leaves this server (and the CSP allows only 'self').
const init = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', validatorUrl: null });`;

/** The tags operations are grouped by, in the order the reference lists them. */
const tags = [
  { name: 'System', description: 'Whether the server is up, and this document.' },
  { name: 'Sessions', description: 'Signing in and out, activating an account, and who you are.' },
  {
    name: 'People',
    description: 'Registering people, their details, and the identity check of their documents.',
  },
  { name: 'Assignments', description: 'Positions a person holds: assigning and ending them.' },
  {
    name: 'Requests',
    description: 'Asking for a position to be assigned or removed, and the sponsor’s decision.',
  },
  { name: 'Organisations', description: 'Organisations by ODS code, their sites and workgroups.' },
  {
    name: 'Positions',
    description: 'Positions of an organisation and the access (job roles, activities) they grant.',
  },
  { name: 'Catalogue', description: 'The national RBAC catalogue: job roles and activities.' },
  { name: 'Workstations', description: 'Workstations with a card reader, and their enrolment.' },
  { name: 'Reader agent', description: 'What the reader agent on a workstation calls.' },
  { name: 'Cards', description: 'Smart cards and the flags reader agents raise about them.' },
  {
    name: 'Reports',
    description:
      'Figures of the card estate, requests, unlocks and access for RA managers and sponsors, each as JSON and as a CSV download.',
  },
  {
    name: 'PKI',
    description:
      'The certificate authority’s publications, public and without login: CA certificates, the CRL and the OCSP responder (binary DER).',
  },
  {
    name: 'Audit',
    description: 'The tamper-evident audit trail: reading it, checkpoints and verification.',
  },
];

/** The OpenAPI document and readable docs: public, as the API's shape is no secret. */
export function registerDocs(app: OpenAPIHono<AppEnv>) {
  app.doc31('/api/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Smartcard RA',
      version: c.get('deps').version,
      description:
        'Registration Authority for smart cards. Every operation carries `x-access`: the permission it needs, `authenticated`, or `public`. State-changing requests need the `X-CSRF-Token` header from `GET /api/me`.',
      // The project is private (package.json) and grants no licence. SPDX lists no
      // identifier for that; `LicenseRef-` is its form for a licence not on the list.
      license: { name: 'Private: no licence is granted', identifier: 'LicenseRef-Private' },
    },
    // Relative: the server that serves this document serves the API, whatever its address.
    servers: [{ url: '/', description: 'This server' }],
    tags,
  }));
  app.get('/api/docs', (c) => c.html(page));
  app.get('/api/docs/assets/init.js', (c) =>
    c.body(init, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/api/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = assets[file];
    if (!type) return notFoundApi(c);
    return c.body(await readFile(join(swaggerDir, file)), 200, {
      'content-type': type,
      'cache-control': 'public, max-age=86400',
    });
  });
}
