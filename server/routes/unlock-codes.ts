import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { ErrorBody } from '../http/error-body.ts';
import { requestUnlockCode } from '../services/unlock-codes/request-unlock-code.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const failure = (description: string) => ({ description, content: json(ErrorBody) });

const UnlockCodeSent = z
  .object({
    sentTo: z.string().openapi({
      description: 'The address the code went to, masked: its first letter and its domain',
      example: 's***@nhs.net',
    }),
    expiresAt: z.iso.datetime().openapi({ description: 'The code works until then, once' }),
  })
  .openapi('UnlockCodeSent');

const route = defineRoute({
  method: 'post',
  path: '/api/me/unlock-codes',
  operationId: 'requestUnlockCode',
  access: 'cards:unlock-own',
  tags: ['Cards'],
  summary: 'Email yourself a one-time code to unlock your own card',
  description:
    'Self-service unlock, first step: an 8-digit code goes to the work email registered for you, valid 15 minutes and once; the unlock job then asks for it. Only its hash is kept. For a card of yours that is blocked, waiting for its first passcode, or active. At most 5 codes an hour for you, and 5 to your address. Audited as card.unlock_code_sent (the address masked, never the code).',
  request: {
    body: {
      required: false,
      content: json(z.strictObject({}).openapi({ description: 'Nothing to send' })),
    },
  },
  responses: {
    202: { description: 'The code was sent', content: json(UnlockCodeSent) },
    409: failure(
      'You hold no card that can be unlocked, no work email is registered for you, or your account is not linked to a person',
    ),
    429: failure(
      '5 codes were sent to you, or to your address, in the last hour; says when to ask again',
    ),
    503: failure('The mail server refused the message or did not answer: no code was sent'),
  },
});

export function registerUnlockCodes(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const sent = await requestUnlockCode(serviceContext(c));
    return c.json({ sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString() }, 202);
  });
}
