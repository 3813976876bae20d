import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { CardSecrets } from '../pki/card/card-secrets.ts';
import { DomainError } from './errors.ts';
import { agentAuth } from './http/agent-auth.ts';
import type { AppDeps, AppEnv } from './http/app-env.ts';
import { clientAddress } from './http/client-address.ts';
import { csrfProtection } from './http/csrf.ts';
import { notFoundApi, onError } from './http/error-handler.ts';
import { noStore } from './http/no-store.ts';
import { rejectUnsafeText } from './http/reject-unsafe-text.ts';
import { sessionAuth } from './http/session.ts';
import { validationHook } from './http/validation-hook.ts';
import { registerAgent } from './routes/agent.ts';
import { registerAssignments } from './routes/assignments.ts';
import { registerAudit } from './routes/audit.ts';
import { registerAuth } from './routes/auth.ts';
import { registerBackground } from './routes/background.ts';
import { registerCardJobs } from './routes/card-jobs.ts';
import { registerCardList } from './routes/card-list.ts';
import { registerCardTransitions } from './routes/card-transitions.ts';
import { registerCards } from './routes/cards.ts';
import { registerCatalogue } from './routes/catalogue.ts';
import { registerDashboard } from './routes/dashboard.ts';
import { registerDocs } from './routes/docs.ts';
import { registerFlags } from './routes/flags.ts';
import { registerHealth } from './routes/health.ts';
import { registerImports } from './routes/imports.ts';
import { registerMe } from './routes/me.ts';
import { registerNotifications } from './routes/notifications.ts';
import { registerOrganisations } from './routes/organisations.ts';
import { registerPeople } from './routes/people.ts';
import { registerPki } from './routes/pki.ts';
import { registerPositions } from './routes/positions.ts';
import { registerReports } from './routes/reports.ts';
import { registerRequests } from './routes/requests.ts';
import { registerSignInThrottles } from './routes/sign-in-throttles.ts';
import { registerStock } from './routes/stock.ts';
import { registerUnlockCodes } from './routes/unlock-codes.ts';
import { registerWorklist } from './routes/worklist.ts';
import { registerWorkstations } from './routes/workstations.ts';
import { deriveAuditKeys } from './services/audit/audit-keys.ts';
import { createMailer } from './services/mail/mailer.ts';
import { caOpenerFor } from './services/pki/certificate-authority.ts';

export type { AppDeps } from './http/app-env.ts';

/** Every route module; adding one here is all it takes to serve it. */
const routeModules = [
  registerHealth,
  registerAuth,
  registerMe,
  registerSignInThrottles,
  registerAudit,
  registerPeople,
  registerAssignments,
  registerRequests,
  registerOrganisations,
  registerPositions,
  registerCatalogue,
  registerWorkstations,
  registerAgent,
  registerFlags,
  registerCardList,
  registerCards,
  registerCardTransitions,
  registerCardJobs,
  registerDashboard,
  registerReports,
  registerStock,
  registerWorklist,
  registerPki,
  registerUnlockCodes,
  registerImports,
  registerBackground,
  registerNotifications,
];

/**
 * Builds the whole app (API, docs and, when built, the web app) from its dependencies.
 * Tests call it for a fresh app on their own database.
 */
export function createApp(deps: AppDeps) {
  const { auditKey } = deps.config;
  if (!deps.auditKeys && !auditKey) throw new Error('createApp needs config.auditKey');
  const auditKeys =
    deps.auditKeys ?? deriveAuditKeys(auditKey ?? '', deps.config.auditUnkeyedEvents);
  const now = deps.now ?? (() => new Date());
  const resolved: Required<AppDeps> = {
    webRoot: null,
    version: '0.0.0',
    ...deps,
    now,
    auditKeys,
    certificateAuthority:
      deps.certificateAuthority ??
      caOpenerFor(
        { db: deps.db, actor: null, requestId: null, address: null, now, auditKeys },
        deps.config.caKeyPassphrase,
      ),
    cardSecrets:
      deps.cardSecrets ??
      (deps.config.cardMasterKey ? new CardSecrets(deps.config.cardMasterKey) : null),
    mailer: deps.mailer ?? createMailer(deps.config, deps.logger),
    queue: deps.queue ?? null,
  };
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'ra_session',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'agent', {
    type: 'http',
    scheme: 'bearer',
    description: "An enrolled workstation's credential, from POST /api/agent/enrol",
  });

  app.use('*', async (c, next) => {
    c.set('deps', resolved);
    await next();
  });
  app.use(
    '*',
    requestId({
      headerName: 'X-Request-Id',
      limitLength: 64,
      generator: () => crypto.randomUUID(),
    }),
  );
  app.use('*', accessLog());
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'", 'http://127.0.0.1:*'],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    }),
  );
  app.use('/api/*', noStore());
  app.use('/api/*', clientAddress());
  const apiBodyLimit = bodyLimit({
    maxSize: 64 * 1024,
    onError: () => {
      throw new DomainError('PAYLOAD_TOO_LARGE', 'The request body is larger than 64 KiB.');
    },
  });
  // Larger bodies where they are expected: a card import carries up to 10,000 lines of
  // serials and keys; an agent's observation up to four 16 KiB certificates in base64.
  const sized = (maxSize: number, words: string) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new DomainError('PAYLOAD_TOO_LARGE', `The request body is larger than ${words}.`);
      },
    });
  const largerBodies: Record<string, ReturnType<typeof bodyLimit>> = {
    '/api/card-stock/imports': sized(2 * 1024 * 1024, '2 MiB'),
    '/api/agent/observations': sized(128 * 1024, '128 KiB'),
  };
  // An ESR file streams into its import, which counts its bytes against ESR_IMPORT_MAX_MB
  // itself (hono's bodyLimit would hold a body without Content-Length in memory whole).
  const streamed = new Set(['/api/esr-imports']);
  app.use('/api/*', (c, next) =>
    c.req.method === 'POST' && streamed.has(c.req.path)
      ? next()
      : (largerBodies[c.req.path] ?? apiBodyLimit)(c, next),
  );
  // OCSP requests are a few hundred bytes; nothing else under /pki takes a body.
  app.use(
    '/pki/*',
    bodyLimit({
      maxSize: 16 * 1024,
      onError: () => {
        throw new DomainError('PAYLOAD_TOO_LARGE', 'The request body is larger than 16 KiB.');
      },
    }),
  );
  app.use('/api/*', requireJsonBody());
  app.use('/api/*', rejectUnsafeText());
  app.use('/api/*', sessionAuth());
  app.use('/api/*', agentAuth());
  app.use('/api/*', csrfProtection());

  for (const register of routeModules) register(app);
  assertEveryRouteDeclaresAccess(app);
  registerDocs(app);

  app.onError(onError);
  app.all('/api/*', notFoundApi);
  // Not the web app's client router: a publication that is not there is a plain 404.
  app.all('/pki/*', notFoundApi);
  if (resolved.webRoot) serveWeb(app, resolved.webRoot);
  return app;
}

export type App = ReturnType<typeof createApp>;

function accessLog() {
  return async function accessLog(c: import('hono').Context<AppEnv>, next: () => Promise<void>) {
    const started = performance.now();
    await next();
    c.get('deps').logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        account: c.get('actor')?.username,
      },
      'request',
    );
  };
}

/** Bodies of state-changing API requests must be JSON: anything else is refused up front. */
function requireJsonBody() {
  return async function requireJsonBody(
    c: import('hono').Context<AppEnv>,
    next: () => Promise<void>,
  ) {
    if (c.req.raw.body !== null && c.req.header('content-length') !== '0') {
      const type = c.req.header('content-type') ?? '';
      // An ESR file comes as CSV, streamed (routes/imports.ts).
      const csv = c.req.path === '/api/esr-imports' && /^text\/csv\s*(;|$)/i.test(type);
      if (!csv && !/^application\/json\s*(;|$)/i.test(type)) {
        throw new DomainError(
          'UNSUPPORTED_MEDIA_TYPE',
          `Send the request body as application/json (it was ${type || 'not labelled'}).`,
        );
      }
    }
    await next();
  };
}

function assertEveryRouteDeclaresAccess(app: OpenAPIHono<AppEnv>) {
  const operationIds = new Set<string>();
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const name = `${def.route.method.toUpperCase()} ${def.route.path}`;
    const access = (def.route as unknown as Record<string, unknown>)['x-access'];
    if (!access) throw new Error(`${name} declares no access: use defineRoute`);
    // Generated clients name their calls after operationId: two alike would collide.
    const { operationId } = def.route;
    if (!operationId) throw new Error(`${name} has no operationId`);
    if (operationIds.has(operationId))
      throw new Error(`${name}: operationId ${operationId} is taken`);
    operationIds.add(operationId);
  }
}

/** The built web app; any other GET outside /api gets index.html for the client router. */
function serveWeb(app: OpenAPIHono<AppEnv>, webRoot: string) {
  const index = join(webRoot, 'index.html');
  if (!existsSync(index)) throw new Error(`web app not built: ${index} is missing`);
  app.use('/assets/*', serveStatic({ root: webRoot }));
  app.use('/favicon.svg', serveStatic({ root: webRoot }));
  app.get('*', async (c) => c.html(await readFile(index, 'utf8')));
}
