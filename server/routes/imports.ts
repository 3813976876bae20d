import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { importKinds, importPlans, importStatuses } from '../../db/schema/imports.ts';
import { DomainError } from '../errors.ts';
import { type AppContext, type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import type { Permission } from '../permissions/permissions.ts';
import { cardReasons, reasonWords } from '../services/cards/card-lifecycle.ts';
import { startImportApply } from '../services/imports/apply-import-batch.ts';
import {
  checkCardCancellation,
  maxCancellationLines,
} from '../services/imports/card-cancellations.ts';
import { checkEsrImport } from '../services/imports/check-esr-import.ts';
import { esrColumns } from '../services/imports/esr-rows.ts';
import { listImportRows, listImports, viewImport } from '../services/imports/import-view.ts';
import { fileTooLarge } from '../services/imports/read-csv.ts';
import { runImport } from '../services/imports/run-import.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });
const counts = z.record(z.string(), z.number().int());
const who = z.object({ username: z.string(), displayName: z.string() });

const Import = z
  .object({
    id: z.uuid(),
    kind: z.enum(importKinds),
    fileName: z.string(),
    status: z.enum(importStatuses).openapi({
      description:
        '`checked`: the dry run is done, nothing applied; `applying`: batches under way (`done` of `rowCount`); `applied`: finished',
    }),
    reason: z.string().nullable(),
    rowCount: z.number().int(),
    planned: counts.openapi({
      description:
        'The dry run: rows to create, change, leave (leavers), leave unchanged, refuse, cancel',
    }),
    done: z.number().int().openapi({ description: 'Rows applied so far' }),
    outcomes: counts.openapi({
      description:
        'What applying did so far: created, changed, left, unchanged, refused, cancelled',
    }),
    createdAt: z.iso.datetime(),
    createdBy: who.nullable().openapi({ description: 'Who checked it' }),
    applyStartedAt: z.iso.datetime().nullable(),
    appliedBy: who.nullable().openapi({ description: 'Who applied it' }),
    finishedAt: z.iso.datetime().nullable(),
  })
  .openapi('Import');

const ImportRow = z
  .object({
    line: z.number().int(),
    key: z.string().openapi({ description: 'The employee number, or the card serial' }),
    fields: z.record(z.string(), z.string()),
    plan: z.enum(importPlans),
    message: z.string(),
    personId: z.uuid().nullable(),
    outcome: z.string().nullable(),
    outcomeMessage: z.string().nullable(),
  })
  .openapi('ImportRow');

const ImportId = z.object({ id: z.uuid('must be an import id (UUID)') });
const RowsQuery = z.object({
  plan: z.enum(importPlans).optional(),
  afterLine: z.coerce.number().int().min(0).optional().openapi({
    description: 'The nextAfterLine of the previous page',
  }),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const CardCancellation = z
  .strictObject({
    fileName: z.string().trim().min(1).max(200).default('pasted list'),
    text: z
      .string('give the cards to cancel, one serial a line')
      .max(1_000_000, 'is longer than 1,000,000 characters')
      .openapi({
        description: `One card serial a line (a CSV whose first column is the serial, with an optional "serial" heading, will do). At most ${maxCancellationLines.toLocaleString('en-GB')} cards.`,
      }),
    reason: z.enum(cardReasons, `must be one of ${cardReasons.join(', ')}`).openapi({
      description: `Why every card is cancelled: ${cardReasons.map((r) => `\`${r}\` (${reasonWords[r]})`).join(', ')}`,
    }),
  })
  .openapi('CardCancellation');

/**
 * Applying goes on the job queue (server/jobs/types/apply-import.ts), which any server process
 * takes, retries, and resumes after a process dies. An app built without a queue (most tests)
 * applies it in this process, through the same batches.
 */
async function applyInBackground(c: AppContext, importId: string) {
  const { queue, logger, config } = c.get('deps');
  const batchSize = config.importBatchRows;
  if (queue) {
    await queue.send('import-apply', { importId, batchSize });
    return;
  }
  const ctx = serviceContext(c);
  void runImport(ctx, importId, { batchSize }).catch((error: unknown) => {
    logger.error(
      { err: error, importId },
      'applying an import failed; applying it again resumes it',
    );
  });
}

/** The routes every kind of import has: list, view, rows, apply. */
function registerImportKind(
  app: OpenAPIHono<AppEnv>,
  base: '/api/esr-imports' | '/api/card-cancellations',
  names: { noun: string; nounPlural: string; op: string; opPlural: string; tag: string },
  access: Permission,
  kind: (typeof importKinds)[number],
) {
  const list = defineRoute({
    method: 'get',
    path: base,
    operationId: `list${names.opPlural}`,
    access,
    tags: [names.tag],
    summary: `The latest ${names.nounPlural}, newest first`,
    responses: {
      200: { description: 'Imports', content: json(z.object({ items: z.array(Import) })) },
    },
  });
  const get = defineRoute({
    method: 'get',
    path: `${base}/{id}`,
    operationId: `get${names.op}`,
    access,
    tags: [names.tag],
    summary: `One ${names.noun}: its dry run, then its progress and summary (poll it while applying)`,
    request: { params: ImportId },
    responses: {
      200: { description: 'The import', content: json(Import) },
      404: failure('No such import'),
    },
  });
  const rows = defineRoute({
    method: 'get',
    path: `${base}/{id}/rows`,
    operationId: `list${names.op}Rows`,
    access,
    tags: [names.tag],
    summary: `The lines of one ${names.noun}, each with its plan and, once applied, its outcome`,
    request: { params: ImportId, query: RowsQuery },
    responses: {
      200: {
        description: 'A page of rows in line order',
        content: json(
          z.object({ items: z.array(ImportRow), nextAfterLine: z.number().int().nullable() }),
        ),
      },
      404: failure('No such import'),
    },
  });
  const apply = defineRoute({
    method: 'post',
    path: `${base}/{id}/apply`,
    operationId: `apply${names.op}`,
    access,
    tags: [names.tag],
    summary: `Apply a checked ${names.noun} in batches (again, to finish one a stopped server left half-applied)`,
    description:
      'Answers at once; the rows are applied in batches, each in its own transaction, and the import counts them as they go (`done` of `rowCount`). Applying again an import left `applying` by a server that stopped picks up at its first row not applied; nothing is applied twice.',
    request: { params: ImportId },
    responses: {
      202: { description: 'Applying', content: json(Import) },
      404: failure('No such import'),
      409: failure('Applied already'),
    },
  });
  app.openapi(list, async (c) =>
    c.json({ items: await listImports(serviceContext(c), kind) }, 200),
  );
  app.openapi(get, async (c) => {
    const view = await viewImport(serviceContext(c), c.req.valid('param').id, kind);
    return c.json(view, 200);
  });
  app.openapi(rows, async (c) => {
    const ctx = serviceContext(c);
    const { id } = c.req.valid('param');
    await viewImport(ctx, id, kind);
    return c.json(await listImportRows(ctx, id, c.req.valid('query')), 200);
  });
  app.openapi(apply, async (c) => {
    const ctx = serviceContext(c);
    const { id } = c.req.valid('param');
    await viewImport(ctx, id, kind);
    await startImportApply(ctx, id);
    // The answer is read before the first batch starts: on PGlite, one connection, it would
    // otherwise wait for that batch's transaction.
    const view = await viewImport(ctx, id, kind);
    await applyInBackground(c, id);
    return c.json(view, 202);
  });
}

const uploadEsr = defineRoute({
  method: 'post',
  path: '/api/esr-imports',
  operationId: 'checkEsrImport',
  access: 'people:import',
  tags: ['ESR import'],
  summary: 'Upload an ESR staff file (CSV) and get its dry run: nothing is applied yet',
  description: `The body is the CSV file itself (\`Content-Type: text/csv\`), UTF-8, streamed: its header line is \`${esrColumns.join(',')}\` (docs/esr-import.md). Every row gets a plan with its line number: create, change, leave (a leaver: positions ended, cards flagged for return), unchanged, or refuse and why. A file refused as a whole (wrong header, not UTF-8, larger than ESR_IMPORT_MAX_MB, not CSV) is a 400 or 413 and leaves nothing behind.`,
  request: {
    query: z.object({
      fileName: z.string().trim().min(1).max(200).default('esr.csv').openapi({
        description: 'The file’s name, to tell imports apart',
      }),
    }),
    body: { required: true, content: { 'text/csv': { schema: z.string() } } },
  },
  responses: {
    201: { description: 'The dry run', content: json(Import) },
    413: failure('The file is larger than ESR_IMPORT_MAX_MB'),
  },
});

const checkCancellation = defineRoute({
  method: 'post',
  path: '/api/card-cancellations',
  operationId: 'checkCardCancellation',
  access: 'cards:cancel-batch',
  tags: ['Card cancellation'],
  summary:
    'Give a list of cards to cancel and get its dry run, card by card: nothing is cancelled yet',
  request: { body: { required: true, content: json(CardCancellation) } },
  responses: { 201: { description: 'The dry run', content: json(Import) } },
});

export function registerImports(app: OpenAPIHono<AppEnv>) {
  app.openapi(uploadEsr, async (c) => {
    const { fileName } = c.req.valid('query');
    const maxBytes = c.get('deps').config.esrImportMaxBytes;
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > maxBytes) throw fileTooLarge(maxBytes);
    const body = c.req.raw.body;
    if (!body) {
      throw new DomainError('VALIDATION', 'Send the ESR file as the request body.', [
        { field: 'file', message: 'Send the ESR file as the request body.' },
      ]);
    }
    const view = await checkEsrImport(serviceContext(c), {
      fileName,
      body: body as unknown as AsyncIterable<Uint8Array>,
      maxBytes,
    });
    return c.json(view, 201);
  });
  app.openapi(checkCancellation, async (c) =>
    c.json(await checkCardCancellation(serviceContext(c), c.req.valid('json')), 201),
  );
  registerImportKind(
    app,
    '/api/esr-imports',
    {
      noun: 'ESR import',
      nounPlural: 'ESR imports',
      op: 'EsrImport',
      opPlural: 'EsrImports',
      tag: 'ESR import',
    },
    'people:import',
    'esr',
  );
  registerImportKind(
    app,
    '/api/card-cancellations',
    {
      noun: 'card cancellation list',
      nounPlural: 'card cancellation lists',
      op: 'CardCancellation',
      opPlural: 'CardCancellations',
      tag: 'Card cancellation',
    },
    'cards:cancel-batch',
    'card_cancellation',
  );
}
