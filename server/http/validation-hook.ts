import type { Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { z } from 'zod';
import { DomainError, type FieldProblem, ValidationError } from '../errors.ts';
import type { ServiceContext } from '../services/context.ts';
import { type AppEnv, serviceContext } from './app-env.ts';

type Issue = z.core.$ZodIssue;

/**
 * How far a union's option is from what the caller meant: keys it does not know, or a
 * discriminator it does not match, say the caller meant another option.
 */
function distance(issues: readonly Issue[]): number {
  return issues.reduce(
    (sum, issue) =>
      sum +
      (issue.code === 'unrecognized_keys'
        ? 10
        : issue.code === 'invalid_union' && 'note' in issue && issue.note
          ? 5
          : 1),
    0,
  );
}

/**
 * A union's own message is "Invalid input"; the problems of the option the body was nearest
 * to say what is wrong (`steps: Too big`, not `json: Invalid input`).
 */
function flatten(issues: readonly Issue[], prefix: PropertyKey[] = []): Issue[] {
  return issues.flatMap((issue): Issue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length) {
      // The nearest option; between equally near ones, the one the body got furthest into
      // (`steps.1.step`, not `step`).
      const depth = (issues: readonly Issue[]) => Math.max(0, ...issues.map((i) => i.path.length));
      const nearest =
        [...issue.errors].sort((a, b) => distance(a) - distance(b) || depth(b) - depth(a))[0] ?? [];
      return flatten(nearest, path);
    }
    return [{ ...issue, path }];
  });
}

function problemsOf(error: z.ZodError, target: string): FieldProblem[] {
  return flatten(error.issues).flatMap((issue): FieldProblem[] => {
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

/** What the caller was trying to do, for the plain sentence above the field problems. */
export function goalOf(c: Context<AppEnv>): string {
  return c.req.method === 'GET' || c.req.method === 'HEAD'
    ? 'this can be shown'
    : 'this can be saved';
}

/**
 * Every request that fails its schema gets one 400 VALIDATION with every problem in
 * `details`, field by field; the message only counts them, in words for a person.
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const problems = problemsOf(result.error as z.ZodError, result.target);
  throw ValidationError.of(problems, goalOf(c));
};

/**
 * The service's own checks of a request (an ODS code no organisation has, a date of birth
 * in the future), run on whichever fields passed the schema; `wrong` names the fields that
 * did not, for checks that compare two fields. They return problems: an absent record or a
 * scope refusal is for the service to say once the body is right.
 */
export type LaterChecks<T> = (
  ctx: ServiceContext,
  valid: Partial<T>,
  wrong: ReadonlySet<string>,
) => Promise<FieldProblem[]>;

/**
 * A validation hook for a body a person fills in on a form. When the body fails its schema,
 * the service's checks still run on the fields that passed, so one 400 names every problem:
 * a bad email, a future date of birth and an unknown ODS code together, not in rounds. When
 * the body passes, the service runs the same checks itself.
 */
export function checkedTogether<S extends z.ZodObject>(
  schema: S,
  later: LaterChecks<z.output<S>>,
): Hook<unknown, AppEnv, string, Promise<never> | undefined> {
  const keys = Object.keys(schema.shape);
  const order = (p: FieldProblem) => {
    const at = keys.indexOf(p.field.split('.')[0] ?? '');
    return at === -1 ? keys.length : at;
  };
  async function refuse(error: z.ZodError, target: string, c: Context<AppEnv>): Promise<never> {
    const problems = problemsOf(error, target);
    // The body as sent: parsed once by the validator, and kept by Hono.
    const sent: unknown = target === 'json' ? await c.req.json() : undefined;
    if (isRecord(sent)) {
      const wrong = new Set(error.issues.map((i) => String(i.path[0])));
      const valid: Record<string, unknown> = {};
      for (const key of keys) {
        if (wrong.has(key) || !(key in sent)) continue;
        const field = (schema.shape[key] as z.ZodType).safeParse(sent[key]);
        if (field.success) valid[key] = field.data;
      }
      try {
        problems.push(...(await later(serviceContext(c), valid as Partial<z.output<S>>, wrong)));
      } catch (error) {
        // The schema's problems are the answer; whatever else the service would refuse,
        // it says once the body is right.
        if (!(error instanceof DomainError)) throw error;
      }
    }
    throw ValidationError.of(
      problems.sort((a, b) => order(a) - order(b)),
      goalOf(c),
    );
  }
  return (result, c) =>
    result.success ? undefined : refuse(result.error as z.ZodError, result.target, c);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
