import { ContextProvider } from '@lit/context';
import { css, html, LitElement } from 'lit';
import { ok, onUnauthenticated, setCsrfToken, api as typedApi } from '../api/client.ts';
import { legacyApi as api } from '../api/legacy-client.ts';
import type { Me, Permission } from '../api/types.ts';
import { navItems, type WorklistKind } from '../nav.ts';
import { currentPath, interceptLinks, navigate, onNavigate } from '../router.ts';
import { sessionContext } from '../session.ts';
import './ra-login-page.ts';
import type { RaShell } from './ra-shell.ts';
import './ra-shell.ts';
import '../pages/ra-activate-page.ts';
import '../pages/ra-audit-page.ts';
import '../pages/ra-card-page.ts';
import '../pages/ra-check-card-page.ts';
import '../pages/ra-flags-page.ts';
import '../pages/ra-home-page.ts';
import '../pages/ra-my-access-page.ts';
import '../pages/ra-people-page.ts';
import '../pages/ra-person-page.ts';
import '../pages/ra-positions-page.ts';
import '../pages/ra-profile-page.ts';
import '../pages/ra-register-page.ts';
import '../pages/ra-requests-page.ts';
import '../pages/ra-sign-in-locks-page.ts';
import '../pages/ra-workstations-page.ts';

/** Pages anyone can open without signing in. */
const publicPaths = new Set(['/login', '/activate', '/check-card']);
const publicTitles: Record<string, string> = {
  '/login': 'Sign in',
  '/activate': 'Choose your password',
};
/** Every first path segment the app has a page for; anything else leads to the profile. */
const knownPaths = new Set([...navItems.map((i) => i.path), '/cards']);

/**
 * The root: finds out who is signed in, shares it through context, and shows the login,
 * a public page, or the shell with the page the path names.
 */
export class RaApp extends LitElement {
  static override properties = {
    me: { state: true },
    failedSignIns: { state: true },
    path: { state: true },
    loading: { state: true },
    waiting: { state: true },
  };
  declare me: Me | null;
  /** Failed attempts since the last sign-in, to tell once: set on signing in, not on reload. */
  declare failedSignIns: Me['failedSignIns'];
  declare path: string;
  declare loading: boolean;
  /** How much work waits, by kind, for the counts in the navigation ("Requests (3)"). */
  declare waiting: Partial<Record<WorklistKind, number>>;
  private counting: AbortController | null = null;
  private session = new ContextProvider(this, { context: sessionContext, initialValue: null });
  /** Set by a navigation, so the next render puts focus at the start of the new page. */
  private moveFocus = false;

  static override styles = css`
    :host {
      display: block;
      min-height: 100vh;
    }
    .loading {
      padding: 2rem;
      font-family: var(--ra-font);
    }
  `;

  constructor() {
    super();
    this.me = null;
    this.failedSignIns = null;
    this.path = currentPath();
    this.loading = true;
    this.waiting = {};
  }

  override connectedCallback() {
    super.connectedCallback();
    this.addEventListener('click', interceptLinks);
    onNavigate((path) => {
      this.path = path;
      this.moveFocus = true;
      // Work done on the page just left (a request decided) changes the counts.
      this.countWaiting();
    });
    onUnauthenticated(() => this.signedOut());
    this.addEventListener('ra-signed-in', (e) => this.signedIn((e as CustomEvent<Me>).detail));
    this.addEventListener('ra-signed-out', () => this.signedOut());
    void this.loadSession();
  }

  private async loadSession() {
    try {
      this.signedIn(await api.get<Me>('/api/me'), false);
    } catch {
      this.signedOut();
    } finally {
      this.loading = false;
    }
  }

  private signedIn(me: Me, go = true) {
    this.me = me;
    this.failedSignIns = go ? me.failedSignIns : null;
    setCsrfToken(me.csrfToken);
    this.session.setValue(me);
    this.countWaiting();
    // Signing in, or arriving signed in at the login or activation page, leads home; a
    // signed-in card holder on "Check my card" stays there.
    if (go || this.path === '/login' || this.path === '/activate' || this.path === '/')
      navigate(this.home(me), { replace: true });
  }

  /** Refreshes the navigation's counts of waiting work, for a user whose navigation shows any. */
  private async countWaiting() {
    this.counting?.abort();
    const me = this.me;
    if (!me || !navItems.some((i) => i.waiting && me.permissions.includes(i.permission))) {
      this.waiting = {};
      return;
    }
    const counting = new AbortController();
    this.counting = counting;
    try {
      const { sections } = await ok(
        typedApi.GET('/api/worklist', { signal: counting.signal }),
        counting.signal,
      );
      this.waiting = Object.fromEntries(sections.map((s) => [s.kind, s.count]));
    } catch {
      // A count is a hint: without it the navigation still works.
    }
  }

  private signedOut() {
    this.counting?.abort();
    this.waiting = {};
    this.me = null;
    this.failedSignIns = null;
    setCsrfToken('');
    this.session.setValue(null);
    if (!publicPaths.has(this.path)) navigate('/login', { replace: true });
  }

  /** Where a user lands: their first place in the navigation. */
  private home(me: Me): string {
    return navItems.find((item) => me.permissions.includes(item.permission))?.path ?? '/profile';
  }

  override willUpdate() {
    // The root path and unknown paths lead somewhere useful rather than to an error.
    if (!this.me || publicPaths.has(this.path)) return;
    const [, first = ''] = this.path.split('/');
    if (first === '') navigate(this.home(this.me), { replace: true });
    else if (!knownPaths.has(`/${first}`)) navigate('/profile', { replace: true });
  }

  override async updated() {
    // The tab's title names the page: the first thing a screen reader says after a move.
    const item = this.me ? navItems.find((i) => this.path.startsWith(i.path)) : undefined;
    const page =
      item?.label ??
      publicTitles[this.path] ??
      (this.path.startsWith('/cards/') ? 'Card' : undefined);
    document.title = page ? `${page} – Smartcard RA` : 'Smartcard RA';
    if (!this.moveFocus) return;
    this.moveFocus = false;
    // A screen reader user hears the new page from its start, as after a page load; the
    // login page puts focus on its own first field.
    const shell = this.renderRoot.querySelector<RaShell>('ra-shell');
    if (shell) {
      await shell.updateComplete;
      shell.focusMain();
    }
  }

  override render() {
    if (this.loading) return html`<p class="loading" role="status">Loading…</p>`;
    if (this.path === '/activate') return html`<ra-activate-page></ra-activate-page>`;
    if (this.path === '/check-card') return html`<ra-check-card-page></ra-check-card-page>`;
    if (!this.me) return html`<ra-login-page></ra-login-page>`;
    return html`<ra-shell .me=${this.me} .path=${this.path} .failedSignIns=${this.failedSignIns}
      .waiting=${this.waiting}>${this.page(this.me)}</ra-shell>`;
  }

  private page(me: Me) {
    const [, first = '', second] = this.path.split('/');
    const allowed = (p: Permission) => me.permissions.includes(p);
    if (first === 'cards' && second) {
      return html`<ra-card-page .serial=${decodeURIComponent(second)}></ra-card-page>`;
    }
    if (first === 'people' && second && allowed('people:read')) {
      return html`<ra-person-page .personId=${second}></ra-person-page>`;
    }
    const item = navItems.find((i) => i.path === `/${first}`);
    if (item && !allowed(item.permission)) {
      return html`<section><h1>Not open to your role</h1><p>Your role does not open this page. <a href="${this.home(me)}">Go to your start page</a>.</p></section>`;
    }
    switch (first) {
      case 'home':
        return html`<ra-home-page></ra-home-page>`;
      case 'people':
        return html`<ra-people-page></ra-people-page>`;
      case 'register':
        return html`<ra-register-page></ra-register-page>`;
      case 'requests':
        return html`<ra-requests-page></ra-requests-page>`;
      case 'positions':
        return html`<ra-positions-page></ra-positions-page>`;
      case 'my-access':
        return html`<ra-my-access-page></ra-my-access-page>`;
      case 'audit':
        return html`<ra-audit-page></ra-audit-page>`;
      case 'card-flags':
        return html`<ra-flags-page></ra-flags-page>`;
      case 'workstations':
        return html`<ra-workstations-page></ra-workstations-page>`;
      case 'sign-in-locks':
        return html`<ra-sign-in-locks-page></ra-sign-in-locks-page>`;
      default:
        return html`<ra-profile-page></ra-profile-page>`;
    }
  }
}
customElements.define('ra-app', RaApp);
