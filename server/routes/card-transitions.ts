import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import type { Permission } from '../permissions/permissions.ts';
import { type RoutedCardVerb, routedCardVerbs } from '../services/cards/card-access.ts';
import { cardTransitions, reasonWords } from '../services/cards/card-lifecycle.ts';
import { getCard } from '../services/cards/get-card.ts';
import { transitionCard } from '../services/cards/transition-card.ts';
import { Card, CardSerial } from './cards.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

/** What each move's route says, beyond what the lifecycle table gives. */
const words: Record<RoutedCardVerb, { operationId: string; summary: string; description: string }> =
  {
    suspend: {
      operationId: 'suspendCard',
      summary: 'Suspend a card reported missing: its certificates go on hold',
      description:
        'For a card that may come back. Its certificates are put on hold (RFC 5280 certificateHold); the CRL and OCSP answers say so as the call returns.',
    },
    reinstate: {
      operationId: 'reinstateCard',
      summary: 'Reinstate a suspended card: the hold on its certificates is released',
      description:
        'The card is active again (a PIN still blocked shows at its next sighting); its certificates leave the CRL (removeFromCRL) and OCSP answers good again.',
    },
    cancel: {
      operationId: 'cancelCard',
      summary: 'Cancel a card for good, with a reason: its certificates are revoked',
      description:
        'Final. Lost or stolen revoke as keyCompromise, damaged as cessationOfOperation, left as affiliationChanged, replaced as superseded; the CRL and OCSP answers say so as the call returns.',
    },
    return: {
      operationId: 'returnCard',
      summary: 'Record a cancelled card as handed back to the RA',
      description: 'About the plastic: the certificates were revoked when it was cancelled.',
    },
    clear: {
      operationId: 'clearCard',
      summary: 'Clear a returned card back to stock',
      description: 'The card is blank again and held by nobody, ready to be issued.',
    },
    destroy: {
      operationId: 'destroyCard',
      summary: 'Record a returned or stock card as destroyed',
      description: 'Final: the card is never issued again.',
    },
  };

/** The table's rows for a verb: every row of one verb asks the same permission. */
function rowsOf(verb: RoutedCardVerb) {
  const rows = cardTransitions.filter((t) => t.verb === verb);
  const permission = rows[0]?.permission;
  if (!permission || permission === 'system' || rows.some((r) => r.permission !== permission)) {
    throw new Error(`the lifecycle table gives no single operator permission for ${verb}`);
  }
  return { rows, permission: permission satisfies Permission };
}

function routeOf(verb: RoutedCardVerb) {
  const { rows, permission } = rowsOf(verb);
  const from = [...new Set(rows.map((r) => r.from.replaceAll('_', ' ')))].join(', ');
  const reasons = [
    ...new Set(rows.flatMap((r) => (r.needsReason ? r.reasons.map((x) => x.reason) : []))),
  ];
  const w = words[verb];
  const body = reasons.length
    ? {
        body: {
          required: true,
          content: json(
            z.strictObject({
              reason: z
                .string()
                .max(64, 'must be one of the reasons listed')
                .optional()
                .openapi({
                  description: `Why: ${reasons.map((r) => `\`${r}\` (${reasonWords[r]})`).join(', ')}`,
                  example: reasons[0],
                }),
            }),
          ),
        },
      }
    : {
        // Nothing to send; a reason sent anyway is refused by name, not ignored.
        body: {
          required: false,
          content: json(z.strictObject({}).openapi({ description: 'This move takes no reason' })),
        },
      };
  return defineRoute({
    method: 'post',
    path: `/api/cards/{serial}/${verb}`,
    operationId: w.operationId,
    access: permission,
    tags: ['Cards'],
    summary: w.summary,
    description: `${w.description} From: ${from}.${rows.every((r) => r.ownCardForbidden) ? ' Nobody makes this move on their own card.' : ''} Answers the card as it now is; the move is audited as card.${verb}.`,
    request: { params: CardSerial, ...body },
    responses: {
      200: { description: 'The card as it now is', content: json(Card) },
      404: { description: 'No such card, or none you may see' },
      409: { description: 'The card’s state does not allow this move; the message says what does' },
      503: {
        description:
          'The certificate authority’s key is not open, and the card has certificates of ours: nothing changed',
      },
    },
  });
}

export function registerCardTransitions(app: OpenAPIHono<AppEnv>) {
  for (const verb of routedCardVerbs) {
    app.openapi(routeOf(verb), async (c) => {
      const ctx = serviceContext(c);
      const { serial } = c.req.valid('param');
      const sent = (c.req.valid as (t: 'json') => { reason?: string } | undefined)('json');
      const move = await transitionCard(ctx, { serial, verb, reason: sent?.reason });
      return c.json(await getCard(ctx, move.serial), 200);
    });
  }
}
