/**
 * A small History API router: the app re-renders on every change of `location.pathname`.
 * Pages are chosen by the first path segment; the rest is the page's own business.
 */
type Listener = (path: string) => void;
const listeners = new Set<Listener>();

export function currentPath(): string {
  return window.location.pathname;
}

export function navigate(path: string, options: { replace?: boolean } = {}) {
  if (path === currentPath() + window.location.search) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const listener of listeners) listener(currentPath());
}

export function onNavigate(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener(currentPath());
});

/** Lets plain `<a href="/…">` links inside shadow roots navigate without a page load. */
export function interceptLinks(event: MouseEvent) {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey
  )
    return;
  const anchor = event
    .composedPath()
    .find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
  if (!anchor || anchor.target || anchor.origin !== window.location.origin) return;
  if (anchor.pathname.startsWith('/api/')) return;
  // A link within the page (a skip link) is its own element's business.
  if (anchor.hash && anchor.pathname === window.location.pathname) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
