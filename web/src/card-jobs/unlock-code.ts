import { ApiError, currentCsrfToken, notifyUnauthenticated } from '../api/client.ts';

/** Where the one-time code went and until when it works. */
export interface SentCode {
  sentTo: string;
  expiresAt: string;
}

/**
 * Asks the server to send the holder a one-time code for unlocking their own card
 * (POST /api/me/unlock-codes → 202 { sentTo, expiresAt }), to their registered work email.
 * Called outside the typed client until the route is in its OpenAPI document.
 */
export async function requestUnlockCode(): Promise<SentCode> {
  let res: Response;
  try {
    res = await fetch('/api/me/unlock-codes', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        'x-csrf-token': currentCsrfToken(),
      },
      body: '{}',
    });
  } catch {
    throw new ApiError(
      0,
      'NETWORK',
      'The server cannot be reached. Check your connection and try again.',
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    sentTo?: string;
    expiresAt?: string;
    error?: { code?: string; message?: string; details?: unknown };
  };
  if (res.status === 401) notifyUnauthenticated();
  if (!res.ok || !body.sentTo || !body.expiresAt) {
    throw new ApiError(
      res.status,
      body.error?.code ?? 'UNKNOWN',
      body.error?.message ??
        (res.status === 404
          ? 'Codes for unlocking your own card cannot be sent yet: ask your local smartcard administrator or the RA desk to unlock it.'
          : `The server answered ${res.status}.`),
      body.error?.details,
    );
  }
  return { sentTo: body.sentTo, expiresAt: body.expiresAt };
}
