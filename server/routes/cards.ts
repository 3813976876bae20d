import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { routedCardVerbs } from '../services/cards/card-access.ts';
import { cardReasons } from '../services/cards/card-lifecycle.ts';
import { getCard } from '../services/cards/get-card.ts';
import { PersonCard } from './people-schemas.ts';

/** A card's serial in a path: serials are unique, so a card's address. */
export const CardSerial = z.object({
  serial: z
    .string()
    .regex(/^[0-9A-Za-z-]{1,64}$/, 'must be a card serial: letters, digits and hyphens'),
});

const ReasonChoice = z.object({ reason: z.enum(cardReasons), label: z.string() });

export const Card = PersonCard.extend({
  holder: z
    .object({ id: z.uuid(), userId: z.string(), name: z.string() })
    .nullable()
    .openapi({ description: 'Who the card is issued to; null for a card in stock' }),
  stateReason: z
    .enum(cardReasons)
    .nullable()
    .openapi({ description: 'Why the card is in its state, when the move needed a reason' }),
  stateChangedAt: z.string().nullable(),
  actions: z.array(z.enum(routedCardVerbs)).openapi({
    description:
      'The moves the caller may make on the card now (the lifecycle table, their permissions and scope, separation of duties), each a POST /api/cards/{serial}/<verb>',
  }),
  reasons: z
    .object({
      suspend: z.array(ReasonChoice).optional(),
      cancel: z.array(ReasonChoice).optional(),
    })
    .openapi({
      description: 'For each action that needs a reason, the reasons it takes, with their words',
    }),
  jobs: z.array(z.enum(['unlock', 'renew'])).openapi({
    description:
      'The card jobs the caller may ask for now (POST /api/card-jobs through a workstation’s agent): the lifecycle table, never one’s own card as an operator, and for renewal the window (the last 90 days, not expired) unless the caller renews expired cards',
  }),
  ownCard: z.boolean().openapi({
    description: 'The card is the caller’s own: its jobs are self-service',
  }),
}).openapi('Card');

const get = defineRoute({
  method: 'get',
  path: '/api/cards/{serial}',
  operationId: 'getCard',
  access: 'authenticated',
  tags: ['Cards'],
  summary:
    'One card by serial: state, certificates and their status, last sighting, open flags, holder and what you may do to it',
  description:
    'For its holder, and for those who read cards in one of the holder’s organisations; a card in stock for RA staff. Anyone else gets 404, as for a serial this RA does not know. Its history is the audit trail’s (GET /api/audit?subjectType=card&subjectId=<serial>).',
  request: { params: CardSerial },
  responses: {
    200: { description: 'The card', content: { 'application/json': { schema: Card } } },
    404: { description: 'No such card, or none you may see' },
  },
});

export function registerCards(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) =>
    c.json(await getCard(serviceContext(c), c.req.valid('param').serial), 200),
  );
}
