import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { cardStates, flagKinds } from '../../db/schema/cards.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { expiryBuckets } from '../services/cards/expiry-buckets.ts';
import { listCards, listedVerbs } from '../services/cards/list-cards.ts';
import { pageCursor } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

/** A query parameter given once arrives as a string, given twice as an array: both are a list. */
const oneOrMore = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(item).min(1).max(8));

export const CardListQuery = z.strictObject({
  state: oneOrMore(z.enum(cardStates)).optional().openapi({
    description: 'Cards in any of these states (repeat the parameter for more than one)',
  }),
  location: z.uuid('must be a card location id').optional().openapi({
    description: 'Cards kept at, or issued from, this card location',
  }),
  holder: z.uuid('must be a person id').optional().openapi({
    description: 'Cards held by this person (their id, as GET /api/people gives it)',
  }),
  expiry: z.enum(expiryBuckets).optional().openapi({
    description:
      'Cards in use (issued, active, blocked or suspended) whose certificates are `expired`, or expire within 7, 30, 60 or 90 days and are not expired. Cumulative: `30` includes the cards of `7`. Days are counted on the trust’s calendar, as `daysLeft` counts them.',
  }),
  flag: z
    .enum(flagKinds)
    .optional()
    .openapi({ description: 'Cards with an open flag of this kind' }),
  cursor: pageCursor(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

const CardRow = z
  .object({
    serial: z.string(),
    cardType: z.string(),
    state: z.enum(cardStates),
    stateReason: z
      .string()
      .nullable()
      .openapi({ description: 'Why the card is in its state, when the move needed a reason' }),
    holder: z
      .object({
        id: z.uuid(),
        name: z.string(),
        userId: z.string().openapi({ description: 'Grouped in fours: 5550 8668 9106' }),
      })
      .nullable()
      .openapi({ description: 'Who holds the card; null for a card with no holder' }),
    location: z
      .object({ id: z.uuid(), name: z.string() })
      .nullable()
      .openapi({ description: 'Where the card is kept, or was issued from' }),
    expiresAt: z.iso.datetime().nullable().openapi({
      description: 'The earliest notAfter of the card’s certificates in force; null when none',
    }),
    daysLeft: z.number().int().nullable().openapi({
      description:
        'Days until expiresAt on the trust’s calendar: 0 later today, negative once expired',
    }),
    openFlags: z.array(z.enum(flagKinds)),
    actions: z.array(z.enum(listedVerbs)).openapi({
      description:
        'The lifecycle moves you may make on the card now (POST /api/cards/{serial}/<action>), by the lifecycle table: absent when the card’s state, your role or separation of duties rules it out',
    }),
  })
  .openapi('CardRow');

const list = defineRoute({
  method: 'get',
  path: '/api/cards',
  operationId: 'listCards',
  access: 'cards:read',
  tags: ['Cards'],
  summary: 'Cards you may see, filtered, soonest expiry first, keyset-paginated',
  description:
    'Cards held by people of the organisations where you read cards, and, for RA staff, the cards kept at their organisations’ locations. Filters combine (all must hold). Ordered by expiry, soonest first, then serial; cards with no certificate last, by serial. Each dashboard count names the filters of its list here, which returns exactly the cards counted.',
  request: { query: CardListQuery },
  responses: {
    200: {
      description: 'A page of cards',
      content: json(
        z.object({
          items: z.array(CardRow),
          nextCursor: z
            .string()
            .nullable()
            .openapi({ description: 'Give as `cursor` for the next page; null on the last' }),
        }),
      ),
    },
  },
});

export function registerCardList(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) =>
    c.json(await listCards(serviceContext(c), c.req.valid('query')), 200),
  );
}
