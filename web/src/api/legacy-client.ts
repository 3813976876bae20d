/**
 * The untyped client the pages used before the typed one (client.ts). TEMPORARY: each page
 * moves to `api`/`ok` from client.ts; this file goes when none imports it.
 */
import { ApiError, currentCsrfToken, notifyUnauthenticated } from './client.ts';
import type { ErrorBody } from './types.ts';

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
  const csrfToken = currentCsrfToken();
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
    if (res.status === 401 && path !== '/api/auth/login' && path !== '/api/me') {
      notifyUnauthenticated();
    }
    throw new ApiError(
      res.status,
      error?.code ?? 'UNKNOWN',
      error?.message ?? `The server answered ${res.status}.`,
      error?.details,
    );
  }
  return data as T;
}

export const legacyApi = {
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
