/**
 * The one error model. Services throw these; the HTTP edge maps each code to a status once
 * (`statusOf`), and every error body has the same shape.
 */
export const errorCodes = [
  'VALIDATION',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'ENROLMENT_CODE_INVALID',
  'FORBIDDEN',
  'CSRF',
  'NOT_FOUND',
  'CONFLICT',
  'POSSIBLE_DUPLICATE',
  'ALREADY_DECIDED',
  'CLAIMED_BY_OTHER',
  'SEPARATION_OF_DUTIES',
  'TOO_MANY_ATTEMPTS',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
  'UNAVAILABLE',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export function statusOf(
  code: ErrorCode,
): 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503 {
  switch (code) {
    case 'VALIDATION':
      return 400;
    case 'UNAUTHENTICATED':
    case 'INVALID_CREDENTIALS':
    case 'ENROLMENT_CODE_INVALID':
      return 401;
    case 'FORBIDDEN':
    case 'CSRF':
    case 'SEPARATION_OF_DUTIES':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'POSSIBLE_DUPLICATE':
    case 'ALREADY_DECIDED':
    case 'CLAIMED_BY_OTHER':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'TOO_MANY_ATTEMPTS':
    case 'RATE_LIMITED':
      return 429;
    case 'INTERNAL':
      return 500;
    case 'UNAVAILABLE':
      return 503;
  }
}

/** One field that was wrong, and why, in words an RA clerk can act on. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown> | FieldProblem[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, problems: FieldProblem[]) {
    super('VALIDATION', message, problems);
  }

  /**
   * Every problem of a request at once, under a plain count: the fields are in `details`,
   * where the page puts each message next to its field's label.
   */
  static of(problems: FieldProblem[], goal = 'this can be saved'): ValidationError {
    return new ValidationError(fixingMessage(problems.length, goal), problems);
  }
}

/** "1 thing needs fixing before this can be saved." */
export function fixingMessage(count: number, goal = 'this can be saved'): string {
  return count === 1
    ? `1 thing needs fixing before ${goal}.`
    : `${count} things need fixing before ${goal}.`;
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class TooManyAttemptsError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TOO_MANY_ATTEMPTS', message, { retryAfterSeconds });
  }
}

/**
 * Asked too often (emails sent, not failed attempts: that is TOO_MANY_ATTEMPTS). The message
 * says when the caller may ask again; Retry-After says it to a machine.
 */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', message, { retryAfterSeconds });
  }
}

/** Nobody approves what they raised or what is for themselves, nor grants themselves access. */
export class SeparationOfDutiesError extends DomainError {
  constructor(message: string) {
    super('SEPARATION_OF_DUTIES', message);
  }
}
