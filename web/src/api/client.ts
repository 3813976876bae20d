import type { ErrorBody, FieldProblem } from './types.ts';

/** An error answer from the API, with the server's message meant for the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field problems of a VALIDATION error, for showing beside the fields. */
  get fieldProblems(): FieldProblem[] {
    return Array.isArray(this.details) ? (this.details as FieldProblem[]) : [];
  }
}

let csrfToken = '';
/** The session's CSRF token, sent on every state-changing request. */
export function setCsrfToken(token: string) {
  csrfToken = token;
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();
/** Called whenever the server says the session is gone, so the app can show the login. */
export function onUnauthenticated(listener: Listener) {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

/** Options for one call: `signal` lets a superseded load (an @lit/task run) be cancelled. */
export interface RequestOptions {
  signal?: AbortSignal;
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: options.signal ?? null,
    });
  } catch (err) {
    // A cancelled call is not a network problem: let the caller see the abort as such.
    if (options.signal?.aborted) throw err;
    throw new ApiError(
      0,
      'NETWORK',
      'The server cannot be reached. Check your connection and try again.',
    );
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const error = (data as ErrorBody | null)?.error;
    const apiError = new ApiError(
      res.status,
      error?.code ?? 'UNKNOWN',
      error?.message ?? `The server answered ${res.status}.`,
      error?.details,
    );
    if (res.status === 401 && path !== '/api/auth/login' && path !== '/api/me') {
      for (const listener of unauthenticatedListeners) listener();
    }
    throw apiError;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
};

/** A query string from the given values, leaving out empty ones. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
