import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Access } from '../permissions/permissions.ts';
import { requireAccess } from './access.ts';
import { ErrorBody } from './error-body.ts';

const errorContent = { 'application/json': { schema: ErrorBody } };

function errorResponses(access: Access) {
  const responses: Record<number, { description: string; content: typeof errorContent }> = {
    400: { description: 'The request is not valid', content: errorContent },
    500: { description: 'Server error', content: errorContent },
  };
  if (access !== 'public') {
    responses[401] = { description: 'Not signed in', content: errorContent };
    responses[403] = {
      description: 'Not allowed for your role, or CSRF check failed',
      content: errorContent,
    };
  }
  return responses;
}

/** What every operation must name: the API's clients are generated from these. */
interface OperationNames {
  /** camelCase verb and noun, unique in the document: `registerPerson`, `listFlags`. */
  operationId: string;
  /** One line a person reads in the API reference. */
  summary: string;
}

/**
 * Declares a route with the access it needs. The access is enforced by middleware and
 * published in the OpenAPI document as `x-access`, where the permission test reads it;
 * `createApp` refuses to start if any route lacks it. The type requires an `operationId`
 * and a `summary`, so no operation reaches the document without them.
 */
export function defineRoute<const R extends Omit<RouteConfig, 'middleware'>>(
  config: R & OperationNames & { access: Access },
) {
  const { access, ...rest } = config;
  return createRoute({
    ...rest,
    'x-access': access,
    security: access === 'public' ? [] : access === 'agent' ? [{ agent: [] }] : [{ session: [] }],
    middleware: [requireAccess(access)] as const,
    responses: { ...errorResponses(access), ...rest.responses },
  } as unknown as R & { 'x-access': Access });
}
