/**
 * Where to go after signing in: the page a signed-out visitor asked for, carried through the
 * login as `?next=`. Only a path of this app is honoured, so a crafted sign-in link cannot
 * send a person elsewhere (an open redirect): it must start with a single `/`, hold no
 * backslash (browsers read `/\evil` as `//evil`) and no control character, and stay on this
 * origin once resolved.
 */
export function safeReturnPath(next: string | null, origin: string): string | null {
  if (!next?.startsWith('/') || next.startsWith('//')) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return null;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  // The login and activation pages lead on by themselves; the API is not a page.
  if (['/login', '/activate'].includes(url.pathname) || url.pathname.startsWith('/api/')) {
    return null;
  }
  const path = url.pathname + url.search;
  // Dot segments resolve away: '/.//evil' and '/%2e%2e//evil' come out as '//evil', which an
  // address bar reads as another host (and history.replaceState refuses, so signing in
  // stopped on the login page).
  return path.startsWith('//') ? null : path;
}

/** The login's address that returns to `path` (with its query) after signing in. */
export function loginReturningTo(path: string): string {
  return path === '/' ? '/login' : `/login?next=${encodeURIComponent(path)}`;
}
