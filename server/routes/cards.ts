import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { getCard } from '../services/cards/get-card.ts';
import { PersonCard } from './people-schemas.ts';

const Card = PersonCard.extend({
  holder: z
    .object({ id: z.uuid(), userId: z.string(), name: z.string() })
    .nullable()
    .openapi({ description: 'Who the card is issued to; null for a card in stock' }),
}).openapi('Card');

const get = defineRoute({
  method: 'get',
  path: '/api/cards/{serial}',
  operationId: 'getCard',
  access: 'authenticated',
  tags: ['Cards'],
  summary: 'One card by serial: state, certificates, last sighting, open flags and holder',
  description:
    'For its holder, and for those who read cards in one of the holder’s organisations; a card in stock for RA staff. Anyone else gets 404, as for a serial this RA does not know.',
  request: {
    params: z.object({
      serial: z
        .string()
        .regex(/^[0-9A-Za-z-]{1,64}$/, 'must be a card serial: letters, digits and hyphens'),
    }),
  },
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
