import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { cardStates, flagKinds } from '../../db/schema/cards.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { expiryBuckets } from '../services/cards/expiry-buckets.ts';
import { getDashboard } from '../services/dashboard/get-dashboard.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const ListBehind = z
  .discriminatedUnion('operationId', [
    z.object({
      operationId: z.literal('listCards'),
      query: z.object({
        state: z.array(z.enum(cardStates)).optional(),
        expiry: z.enum(expiryBuckets).optional(),
      }),
    }),
    z.object({
      operationId: z.literal('listFlags'),
      query: z.object({ status: z.literal('open'), kind: z.enum(flagKinds) }),
    }),
  ])
  .openapi('DashboardList', {
    description:
      'The list behind a count: the operation (GET /api/cards or GET /api/flags) and its query parameters. It returns exactly the rows counted.',
  });

const counted = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ ...shape, count: z.number().int(), list: ListBehind });

const Dashboard = z
  .object({
    asOf: z.iso.datetime().openapi({ description: 'The moment the counts were taken' }),
    cardsByState: z.array(counted({ state: z.enum(cardStates) })).openapi({
      description: 'Every state of the lifecycle, in its order, with how many cards are in it',
    }),
    expiry: z.object({
      states: z.array(z.enum(cardStates)).openapi({
        description:
          'The states whose cards’ expiry is watched: cards with their holder, or thought to be',
      }),
      buckets: z.array(counted({ bucket: z.enum(expiryBuckets) })).openapi({
        description:
          'Cards whose certificates are expired, or expire within 7, 30, 60 or 90 days (cumulative: within 30 includes within 7; none expired)',
      }),
    }),
    blockedPins: z.object({
      cards: counted({}).openapi({ description: 'Cards recorded as blocked' }),
      flags: counted({}).openapi({
        description:
          'Open PIN-blocked flags: cards a reader saw blocked, including cards not on record or not yet recorded as blocked. The two overlap.',
      }),
    }),
    openFlags: z.array(counted({ kind: z.enum(flagKinds) })).openapi({
      description: 'Every flag kind with how many are open',
    }),
  })
  .openapi('Dashboard');

const get = defineRoute({
  method: 'get',
  path: '/api/dashboard',
  operationId: 'getDashboard',
  access: 'dashboard:read',
  tags: ['Cards'],
  summary: 'The RA dashboard: cards by state, expiry, blocked PINs and open flags',
  description:
    'Counts over the cards and flags you may see (as GET /api/cards and GET /api/flags list them), each with the query of the list behind it. Counted from the card rows and their indexes, never from certificates.',
  responses: {
    200: { description: 'The counts', content: json(Dashboard) },
  },
});

export function registerDashboard(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) => c.json(await getDashboard(serviceContext(c)), 200));
}
