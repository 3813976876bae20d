import { ContextProvider } from '@lit/context';
import { css, html, LitElement } from 'lit';
import { api, onUnauthenticated, setCsrfToken } from '../api/client.ts';
import type { Me } from '../api/types.ts';
import { navItems } from '../nav.ts';
import { currentPath, interceptLinks, navigate, onNavigate } from '../router.ts';
import { sessionContext } from '../session.ts';
import './ra-login-page.ts';
import './ra-shell.ts';
import '../pages/ra-activate-page.ts';
import '../pages/ra-audit-page.ts';
import '../pages/ra-my-access-page.ts';
import '../pages/ra-people-page.ts';
import '../pages/ra-person-page.ts';
import '../pages/ra-positions-page.ts';
import '../pages/ra-profile-page.ts';
import '../pages/ra-register-page.ts';
import '../pages/ra-requests-page.ts';

/** Pages anyone can open without signing in. */
const publicPaths = new Set(['/login', '/activate']);

/**
 * The root: finds out who is signed in, shares it through context, and shows the login,
 * a public page, or the shell with the page the path names.
 */
export class RaApp extends LitElement {
  static override properties = {
    me: { state: true },
    path: { state: true },
    loading: { state: true },
  };
  declare me: Me | null;
  declare path: string;
  declare loading: boolean;
  private session = new ContextProvider(this, { context: sessionContext, initialValue: null });

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
    this.path = currentPath();
    this.loading = true;
  }

  override connectedCallback() {
    super.connectedCallback();
    this.addEventListener('click', interceptLinks);
    onNavigate((path) => {
      this.path = path;
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
    setCsrfToken(me.csrfToken);
    this.session.setValue(me);
    if (go || publicPaths.has(this.path) || this.path === '/')
      navigate(this.home(me), { replace: true });
  }

  private signedOut() {
    this.me = null;
    setCsrfToken('');
    this.session.setValue(null);
    if (!publicPaths.has(this.path)) navigate('/login', { replace: true });
  }

  /** Where a user lands: their first place in the navigation. */
  private home(me: Me): string {
    return navItems.find((item) => me.permissions.includes(item.permission))?.path ?? '/profile';
  }

  override render() {
    if (this.loading) return html`<p class="loading" role="status">Loading…</p>`;
    if (this.path === '/activate') return html`<ra-activate-page></ra-activate-page>`;
    if (!this.me) return html`<ra-login-page></ra-login-page>`;
    return html`<ra-shell .me=${this.me} .path=${this.path}>${this.page(this.me)}</ra-shell>`;
  }

  private page(me: Me) {
    const [, first = '', second] = this.path.split('/');
    const item = navItems.find((i) => i.path === `/${first}`);
    const allowed = (p: string) => me.permissions.includes(p as Me['permissions'][number]);
    if (first === 'people' && second && allowed('people:read')) {
      return html`<ra-person-page .personId=${second}></ra-person-page>`;
    }
    if (!item || !allowed(item.permission)) {
      return html`<section><h1>Page not found</h1><p>There is no such page, or your role does not open it. <a href="${this.home(me)}">Go to your start page</a>.</p></section>`;
    }
    switch (first) {
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
      default:
        return html`<ra-profile-page></ra-profile-page>`;
    }
  }
}
customElements.define('ra-app', RaApp);
