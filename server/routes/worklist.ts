import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagKinds } from '../../db/schema/cards.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { getWorklist, worklistItems } from '../services/worklist/get-worklist.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const PersonNamed = z.object({ id: z.uuid(), userId: z.string(), name: z.string() });

const RequestWaiting = z
  .object({
    id: z.uuid(),
    kind: z.enum(['assign', 'remove']),
    person: PersonNamed,
    position: z.object({ id: z.uuid(), name: z.string(), odsCode: z.string() }),
    raisedAt: z.iso.datetime(),
    raisedBy: z.string().openapi({ description: 'Display name of whoever raised it' }),
    claimedBy: z.string().nullable().openapi({
      description: 'Display name of the reviewer who has it open now, if anyone does',
    }),
    claimedByYou: z.boolean().openapi({
      description: 'Whether the reviewer who has it open now is you (the page says "you")',
    }),
    actions: z.array(z.enum(['decide', 'withdraw'])).openapi({
      description:
        'What you may do to it now, as on the request itself: `decide` unless another reviewer has it open',
    }),
  })
  .openapi('WorklistRequest');

const PersonWaiting = z
  .object({
    id: z.uuid(),
    userId: z.string(),
    name: z.string(),
    odsCodes: z.array(z.string()),
    registeredAt: z.iso.datetime(),
  })
  .openapi('WorklistPerson');

const FlagWaiting = z
  .object({
    id: z.uuid(),
    kind: z.enum(flagKinds),
    summary: z.string(),
    action: z.string().openapi({ description: 'What resolves it, and who may do it' }),
    raisedAt: z.iso.datetime(),
    card: z.object({ serial: z.string(), known: z.boolean() }),
    person: PersonNamed.nullable(),
  })
  .openapi('WorklistFlag');

const section = <K extends string, T extends z.ZodType>(kind: K, item: T, what: string) =>
  z.object({
    kind: z.literal(kind),
    count: z
      .number()
      .int()
      .openapi({ description: `How many ${what} wait, in all` }),
    items: z.array(item).openapi({ description: `The first ${worklistItems}` }),
  });

const WorklistSection = z
  .discriminatedUnion('kind', [
    section('requestsToDecide', RequestWaiting, 'open requests you may decide'),
    section(
      'identityChecks',
      PersonWaiting,
      'people registered and waiting for their identity check',
    ),
    section('cardFlags', FlagWaiting, 'open card flags'),
  ])
  .openapi('WorklistSection');

const get = defineRoute({
  method: 'get',
  path: '/api/worklist',
  operationId: 'getWorklist',
  access: 'authenticated',
  tags: ['Worklist'],
  summary: 'What waits for you: requests to decide, identity checks, card flags',
  description:
    'One section per kind of work your permissions give you, each with how many wait in your organisations and the first few: requests you may decide (not those you raised or that are for you), people waiting for their identity check, open card flags. A card holder alone gets no section.',
  responses: {
    200: {
      description: 'Your sections, in the order to show them',
      content: json(z.object({ sections: z.array(WorklistSection) }).openapi('Worklist')),
    },
  },
});

export function registerWorklist(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) => {
    const ctx = serviceContext(c);
    const sections = await getWorklist(ctx);
    const me = ctx.actor?.username;
    return c.json(
      {
        sections: sections.map((s) => {
          switch (s.kind) {
            case 'requestsToDecide':
              return {
                kind: s.kind,
                count: s.count,
                items: s.items.map((r) => ({
                  id: r.id,
                  kind: r.kind,
                  person: r.person,
                  position: r.position,
                  raisedAt: r.raisedAt,
                  raisedBy: r.raisedBy.displayName,
                  claimedBy: r.claim?.by.displayName ?? null,
                  claimedByYou: !!me && r.claim?.by.username === me,
                  actions: r.actions,
                })),
              };
            case 'identityChecks':
              return s;
            default:
              return {
                kind: s.kind,
                count: s.count,
                items: s.items.map((f) => ({
                  id: f.id,
                  kind: f.kind,
                  summary: f.summary,
                  action: f.action,
                  raisedAt: f.raisedAt,
                  card: { serial: f.card.serial, known: f.card.known },
                  person: f.person
                    ? { id: f.person.id, userId: f.person.userId, name: f.person.displayName }
                    : null,
                })),
              };
          }
        }),
      },
      200,
    );
  });
}
