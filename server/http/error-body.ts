import { z } from '@hono/zod-openapi';
import { errorCodes } from '../errors.ts';

/** The one error body every failing request gets. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export type ErrorBodyShape = z.infer<typeof ErrorBody>;
