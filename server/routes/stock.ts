import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { cardStates } from '../../db/schema/cards.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { checkedTogether } from '../http/validation-hook.ts';
import { createCardLocation, listCardLocations } from '../services/stock/card-locations.ts';
import { checkImport, importCards, importFieldProblems } from '../services/stock/import-cards.ts';
import { maxImportLines, serialPattern } from '../services/stock/import-lines.ts';
import { maxMoveCards, moveCards } from '../services/stock/move-cards.ts';
import { stockCounts } from '../services/stock/stock-counts.ts';
import { OdsCode } from './organisations.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

/** The largest import text: 10,000 lines of a 64-character serial and a 64-digit key. */
export const maxImportChars = 1_400_000;

const CardLocation = z
  .object({
    id: z.uuid(),
    name: z.string(),
    organisation: z.object({ odsCode: z.string(), name: z.string() }),
    createdAt: z.iso.datetime(),
  })
  .openapi('CardLocation');

const CreateCardLocation = z
  .strictObject({
    odsCode: OdsCode,
    name: z
      .string('give the location a name')
      .trim()
      .min(2, 'give the location a name, such as "RA office safe"')
      .max(100, 'is longer than 100 characters'),
  })
  .openapi('CreateCardLocation');

const Serial = z
  .string('give a card serial')
  .regex(serialPattern, 'must be a card serial: 1 to 64 letters, digits and hyphens');

const ImportCards = z
  .strictObject({
    locationId: z.uuid('choose the location the cards go to'),
    text: z
      .string('give the cards, one serial a line')
      .max(maxImportChars, `is longer than ${maxImportChars.toLocaleString('en-GB')} characters`)
      .openapi({
        description: `The pasted list or the CSV file's content: one card a line, its serial and, after a comma (or in a list also a space or semicolon), its management key in hex when it is not the manufacturer's default (3DES 010203…08). A CSV file may start with a heading line (serial,management_key) and quote its fields. At most ${maxImportLines.toLocaleString('en-GB')} cards.`,
        example: 'CARD-0001\nCARD-0002,00112233445566778899aabbccddeeff',
      }),
    format: z.enum(['list', 'csv']).default('list').openapi({
      description: '`list` for pasted lines; `csv` for a CSV file (a heading line allowed)',
    }),
    acceptValidLines: z.boolean().default(false).openapi({
      description:
        'Import the good lines of a text that has bad ones, and report the bad ones; by default a text with any bad line imports nothing',
    }),
  })
  .openapi('ImportCards');

const LineProblem = z.object({ line: z.number().int(), message: z.string() });

const CardImport = z
  .object({
    imported: z.number().int().openapi({ description: 'How many cards are now in stock' }),
    location: CardLocation,
    rejected: z.array(LineProblem).openapi({
      description: 'The lines not imported and why (only when acceptValidLines was given)',
    }),
  })
  .openapi('CardImport');

const MoveCards = z
  .strictObject({
    serials: z
      .array(Serial)
      .min(1, 'give at least one card serial')
      .max(maxMoveCards, `move at most ${maxMoveCards} cards at a time`),
    locationId: z.uuid('choose the location the cards go to'),
  })
  .openapi('MoveCards');

const CardMove = z
  .object({
    moved: z.number().int(),
    unchanged: z.number().int().openapi({ description: 'Cards that were there already' }),
    location: CardLocation,
  })
  .openapi('CardMove');

const count = z.number().int();
const StateCounts = z
  .object({
    in_stock: count,
    issued_locked: count,
    active: count,
    blocked: count,
    suspended: count,
    cancelled: count,
    returned: count,
    destroyed: count,
  } satisfies Record<(typeof cardStates)[number], z.ZodNumber>)
  .openapi('CardStateCounts');

const CardStock = z
  .object({
    locations: z.array(z.object({ location: CardLocation, counts: StateCounts, total: count })),
    totals: StateCounts,
    organisations: z.array(z.object({ odsCode: z.string(), name: z.string() })).openapi({
      description: 'Open organisations where you manage stock: where a location may go',
    }),
  })
  .openapi('CardStock');

const listLocations = defineRoute({
  method: 'get',
  path: '/api/card-locations',
  operationId: 'listCardLocations',
  access: 'card-stock:manage',
  tags: ['Card stock'],
  summary: 'The card locations of the organisations where you manage stock',
  responses: {
    200: {
      description: 'Card locations',
      content: json(z.object({ items: z.array(CardLocation) })),
    },
  },
});

const createLocation = defineRoute({
  method: 'post',
  path: '/api/card-locations',
  operationId: 'createCardLocation',
  access: 'card-stock:manage',
  tags: ['Card stock'],
  summary: 'Add a place where blank and returned cards are kept',
  description: 'Its name is new to its organisation, whatever its case.',
  request: { body: { required: true, content: json(CreateCardLocation) } },
  responses: {
    201: { description: 'Added', content: json(CardLocation) },
    409: failure('The organisation has a location of that name'),
  },
});

const importStock = defineRoute({
  method: 'post',
  path: '/api/card-stock/imports',
  operationId: 'importCardStock',
  access: 'card-stock:manage',
  tags: ['Card stock'],
  summary: 'Import blank cards by serial into a location',
  description:
    "Each card goes in stock at the location with its management key (the manufacturer's default unless its line gives one), encrypted under the CA key passphrase and never shown again. A bad line (malformed, a serial repeated, a card known already) is a 400 naming each line by number, and nothing is imported, unless acceptValidLines asks for the good lines alone. One audit event per import.",
  request: { body: { required: true, content: json(ImportCards) } },
  responses: {
    201: { description: 'Imported', content: json(CardImport) },
    404: failure('No such location, or none of yours'),
    409: failure('Another import took one of these serials at the same moment'),
    413: failure('The request body is larger than 2 MiB'),
    503: failure('The server has no CA key passphrase to encrypt management keys with'),
  },
});

const moveStock = defineRoute({
  method: 'post',
  path: '/api/card-stock/moves',
  operationId: 'moveCardStock',
  access: 'card-stock:manage',
  tags: ['Card stock'],
  summary: 'Move cards in stock or returned to another location',
  description:
    'Every serial must be a card in stock or returned in your organisations; otherwise each is named and nothing moves. Each card moved is audited.',
  request: { body: { required: true, content: json(MoveCards) } },
  responses: {
    200: { description: 'Moved', content: json(CardMove) },
    404: failure('No such location, or none of yours'),
  },
});

const counts = defineRoute({
  method: 'get',
  path: '/api/card-stock',
  operationId: 'getCardStock',
  access: 'card-stock:manage',
  tags: ['Card stock'],
  summary: 'Cards at each of your locations, counted by state',
  responses: { 200: { description: 'The counts', content: json(CardStock) } },
});

export function registerStock(app: OpenAPIHono<AppEnv>) {
  app.openapi(listLocations, async (c) =>
    c.json({ items: await listCardLocations(serviceContext(c)) }, 200),
  );
  app.openapi(createLocation, async (c) =>
    c.json(await createCardLocation(serviceContext(c), c.req.valid('json')), 201),
  );
  app.openapi(
    importStock,
    async (c) =>
      c.json(
        await importCards(
          serviceContext(c),
          c.req.valid('json'),
          c.get('deps').config.caKeyPassphrase,
        ),
        201,
      ),
    // A wrong location id and bad lines are named together, not in rounds.
    checkedTogether(ImportCards, async (ctx, valid, wrong) => {
      if (valid.text === undefined || wrong.has('format')) return [];
      const format = valid.format ?? 'list';
      return importFieldProblems(await checkImport(ctx, { text: valid.text, format }));
    }),
  );
  app.openapi(moveStock, async (c) =>
    c.json(await moveCards(serviceContext(c), c.req.valid('json')), 200),
  );
  app.openapi(counts, async (c) => c.json(await stockCounts(serviceContext(c)), 200));
}
