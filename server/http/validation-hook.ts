import type { Hook } from '@hono/zod-openapi';
import type { z } from 'zod';
import { type FieldProblem, ValidationError } from '../errors.ts';
import type { AppEnv } from './app-env.ts';

function problemsOf(error: z.ZodError, target: string): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: base ? `${base}.${key}` : key,
        message: 'is not a field this request accepts',
      }));
    }
    return [{ field: base || target, message: issue.message }];
  });
}

/** Every request that fails its schema gets a 400 VALIDATION naming the fields. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const problems = problemsOf(result.error as z.ZodError, result.target);
  const fields = [...new Set(problems.map((p) => p.field))].join(', ');
  throw new ValidationError(`Some of what was sent is not right: ${fields}.`, problems);
};
