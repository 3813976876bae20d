import { ContextProvider } from '@lit/context';
import { css, html, LitElement } from 'lit';
import { api, ok, onUnauthenticated, setCsrfToken } from '../api/client.ts';
import { navItems, type WorklistKind } from '../nav.ts';
import { loginReturningTo, safeReturnPath } from '../return-path.ts';
import { currentPath, interceptLinks, navigate, onNavigate } from '../router.ts';
import { type Me, type Permission, sessionContext } from '../session.ts';
import { shared } from '../styles.ts';
import './ra-loading.ts';
import './ra-login-page.ts';
import type { RaShell } from './ra-shell.ts';
import './ra-shell.ts';
import '../pages/ra-activate-page.ts';
import '../pages/ra-audit-page.ts';
import '../pages/ra-background-jobs-page.ts';
import '../pages/ra-card-job-page.ts';
import type { DeskJob } from '../pages/ra-card-job-page.ts';
import '../pages/ra-card-page.ts';
import '../pages/ra-cards-page.ts';
import '../pages/ra-check-card-page.ts';
import '../pages/ra-dashboard-page.ts';
import '../pages/ra-flags-page.ts';
import '../pages/ra-home-page.ts';
import '../pages/ra-issue-card-page.ts';
import '../pages/ra-my-access-page.ts';
import '../pages/ra-my-card-page.ts';
import '../pages/ra-people-page.ts';
import '../pages/ra-person-page.ts';
import '../pages/ra-positions-page.ts';
import '../pages/ra-profile-page.ts';
import '../pages/ra-register-page.ts';
import '../pages/ra-requests-page.ts';
import '../pages/ra-sign-in-locks-page.ts';
import '../pages/ra-stock-page.ts';
import '../pages/ra-imports-page.ts';
import '../pages/ra-workstations-page.ts';

/** Pages anyone can open without signing in. */
const publicPaths = new Set(['/login', '/activate', '/check-card']);
const publicTitles: Record<string, string> = {
  '/login': 'Sign in',
  '/activate': 'Choose your password',
  '/check-card': 'Check my card',
};

/** What a signed-in user's address shows: a page of the navigation, a person, or neither. */
type Place =
  | { kind: 'page'; item: (typeof navItems)[number] }
  | { kind: 'person'; id: string }
  | { kind: 'issue-card'; id: string }
  | { kind: 'card'; serial: string }
  | { kind: 'card-job'; serial: string; job: DeskJob }
  | { kind: 'forbidden'; item: (typeof navItems)[number] }
  | { kind: 'not-found' };

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
    pageTitle: { state: true },
    waiting: { state: true },
  };
  declare me: Me | null;
  /** Failed attempts since the last sign-in, to tell once: set on signing in, not on reload. */
  declare failedSignIns: Me['failedSignIns'];
  declare path: string;
  /** The reports page's own chunk could not be fetched (offline, a new release). */
  private reportsChunkFailed = false;
  declare loading: boolean;
  /**
   * A page's own name for itself (a person page names the person), set by an `ra-page-title`
   * event and forgotten on the next navigation.
   */
  declare pageTitle: string;
  /** How much work waits, by kind, for the counts in the navigation ("Requests (3)"). */
  declare waiting: Partial<Record<WorklistKind, number>>;
  private counting: AbortController | null = null;
  private session = new ContextProvider(this, { context: sessionContext, initialValue: null });
  /** Set by a navigation, so the next render puts focus at the start of the new page. */
  private moveFocus = false;

  // The shared styles for the pages this element renders itself (not found, not open to
  // your role): their links and headings as on every other page, not the browser's.
  static override styles = [
    shared,
    css`
    :host {
      display: block;
      min-height: 100vh;
    }
    ra-loading {
      display: block;
      padding: 1rem 2rem;
      font-family: var(--ra-font);
    }
  `,
  ];

  constructor() {
    super();
    this.me = null;
    this.failedSignIns = null;
    this.path = currentPath();
    this.loading = true;
    this.pageTitle = '';
    this.waiting = {};
  }

  override connectedCallback() {
    super.connectedCallback();
    this.addEventListener('click', interceptLinks);
    onNavigate((path) => {
      this.path = path;
      this.pageTitle = '';
      this.moveFocus = true;
      // Work done on the page just left (a request decided) changes the counts.
      void this.countWaiting();
    });
    // A page changed what waits (a request decided, raised or withdrawn): count again.
    this.addEventListener('ra-work-changed', () => void this.countWaiting());
    this.addEventListener('ra-page-title', (e) => {
      this.pageTitle = (e as CustomEvent<string>).detail;
    });
    onUnauthenticated(() => this.signedOut());
    this.addEventListener('ra-signed-in', (e) => this.signedIn((e as CustomEvent<Me>).detail));
    this.addEventListener('ra-signed-out', () => this.signedOut(false));
    void this.loadSession();
  }

  private async loadSession() {
    try {
      this.signedIn(await ok(api.GET('/api/me')), false);
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
    void this.countWaiting();
    // Signing in, or arriving signed in at the login or activation page, leads to the page
    // the login was sent from (`?next=`, this app's own paths only), else home; a signed-in
    // card holder on "Check my card" stays there.
    if (go || this.path === '/login' || this.path === '/activate' || this.path === '/') {
      const next = safeReturnPath(
        new URLSearchParams(window.location.search).get('next'),
        window.location.origin,
      );
      navigate(next ?? this.home(me), { replace: true });
    }
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
        api.GET('/api/worklist', { signal: counting.signal }),
        counting.signal,
      );
      this.waiting = Object.fromEntries(sections.map((s) => [s.kind, s.count]));
    } catch {
      // A count is a hint: without it the navigation still works.
    }
  }

  /**
   * No one is signed in any more. Unless they signed out themselves, the login returns them
   * to the page they were on (or asked for, arriving signed out) once they sign in again.
   */
  private signedOut(returnHere = true) {
    this.counting?.abort();
    this.waiting = {};
    this.me = null;
    this.failedSignIns = null;
    setCsrfToken('');
    this.session.setValue(null);
    if (publicPaths.has(this.path)) return;
    const here = window.location.pathname + window.location.search;
    navigate(returnHere ? loginReturningTo(here) : '/login', { replace: true });
  }

  /** Where a user lands: their first place in the navigation. */
  private home(me: Me): string {
    return navItems.find((item) => me.permissions.includes(item.permission))?.path ?? '/profile';
  }

  override willUpdate() {
    // The root path leads to the user's start page.
    if (this.me && this.path === '/') navigate(this.home(this.me), { replace: true });
  }

  /** Which page the current address names for this user. */
  private place(me: Me): Place {
    const [, first = '', second, third] = this.path.split('/');
    const allowed = (p: Permission) => me.permissions.includes(p);
    if (first === 'people' && second && third) {
      const people = navItems.find((i) => i.path === '/people');
      if (third !== 'issue-card' || !people) return { kind: 'not-found' };
      return allowed('cards:issue')
        ? { kind: 'issue-card', id: second }
        : { kind: 'forbidden', item: people };
    }
    if (first === 'people' && second && allowed('people:read'))
      return { kind: 'person', id: second };
    if (first === 'cards' && second && third) {
      if (third !== 'unlock' && third !== 'renew') return { kind: 'not-found' };
      return { kind: 'card-job', serial: decodeURIComponent(second), job: third };
    }
    if (first === 'cards' && second) return { kind: 'card', serial: decodeURIComponent(second) };
    // Every first path segment of the navigation has a page; anything else is "not found".
    const item = navItems.find((i) => i.path === `/${first}`);
    if (!item) return { kind: 'not-found' };
    return allowed(item.permission) ? { kind: 'page', item } : { kind: 'forbidden', item };
  }

  /** The name of the page shown, for the tab's title. */
  private pageName(): string {
    if (this.pageTitle) return this.pageTitle;
    if (this.loading) return '';
    if (!this.me || publicPaths.has(this.path)) return publicTitles[this.path] ?? 'Sign in';
    const place = this.place(this.me);
    switch (place.kind) {
      case 'page':
        return place.item.title ?? place.item.label;
      case 'person':
        return 'Person';
      case 'issue-card':
        return 'Issue a card';
      case 'card':
        return 'Card';
      case 'card-job':
        return place.job === 'unlock' ? 'Unlock a card' : 'Renew a card';
      case 'forbidden':
        return 'Not open to your role';
      case 'not-found':
        return 'Page not found';
    }
  }

  override async updated() {
    // The tab's title names the page: the first thing a screen reader says after a move.
    const page = this.pageName();
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
    if (this.loading) return html`<ra-loading></ra-loading>`;
    if (this.path === '/activate') return html`<ra-activate-page></ra-activate-page>`;
    if (!this.me) {
      // Check my card is open to a holder not signed in, on its own; signed in, it is a page
      // of the shell like any other.
      if (this.path === '/check-card') return html`<ra-check-card-page></ra-check-card-page>`;
      return html`<ra-login-page></ra-login-page>`;
    }
    return html`<ra-shell .me=${this.me} .path=${this.path} .failedSignIns=${this.failedSignIns}
      .waiting=${this.waiting}>${this.page(this.me)}</ra-shell>`;
  }

  private page(me: Me) {
    const place = this.place(me);
    if (place.kind === 'person') {
      return html`<ra-person-page .personId=${place.id}></ra-person-page>`;
    }
    if (place.kind === 'issue-card') {
      return html`<ra-issue-card-page person-id=${place.id}></ra-issue-card-page>`;
    }
    if (place.kind === 'card') {
      return html`<ra-card-page .serial=${place.serial}></ra-card-page>`;
    }
    if (place.kind === 'card-job') {
      return html`<ra-card-job-page .serial=${place.serial} .kind=${place.job}></ra-card-job-page>`;
    }
    if (place.kind === 'forbidden') {
      return html`<section><h1>Not open to your role</h1><p>Your role does not open this page. <a href="${this.home(me)}">Go to your start page</a>.</p></section>`;
    }
    if (place.kind === 'not-found') {
      return html`<section data-testid="not-found"><h1>Page not found</h1>
        <p>There is no page at this address. If you typed it, check it for a mistake.</p>
        <p><a href="${this.home(me)}">Go to your start page</a></p></section>`;
    }
    switch (place.item.path.slice(1)) {
      case 'dashboard':
        return html`<ra-dashboard-page></ra-dashboard-page>`;
      case 'cards':
        return html`<ra-cards-page></ra-cards-page>`;
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
      case 'my-card':
        return html`<ra-my-card-page></ra-my-card-page>`;
      case 'audit':
        return html`<ra-audit-page></ra-audit-page>`;
      case 'reports':
        // Its own chunk, with chart.js: loaded the first time the page is opened, never
        // with the app's main bundle. Until it is here, the page says so.
        if (!customElements.get('ra-reports-page')) {
          if (this.reportsChunkFailed) {
            return html`<p class="message error" role="alert">The reports page could not be loaded. Reload the page to try again.</p>`;
          }
          void import('../pages/ra-reports-page.ts').then(
            () => this.requestUpdate(),
            () => {
              this.reportsChunkFailed = true;
              this.requestUpdate();
            },
          );
          return html`<ra-loading label="Loading reports…"></ra-loading>`;
        }
        return html`<ra-reports-page></ra-reports-page>`;
      case 'card-flags':
        return html`<ra-flags-page></ra-flags-page>`;
      case 'stock':
        return html`<ra-stock-page></ra-stock-page>`;
      case 'workstations':
        return html`<ra-workstations-page></ra-workstations-page>`;
      case 'imports':
        return html`<ra-imports-page></ra-imports-page>`;
      case 'sign-in-locks':
        return html`<ra-sign-in-locks-page></ra-sign-in-locks-page>`;
      case 'background-jobs':
        return html`<ra-background-jobs-page></ra-background-jobs-page>`;
      case 'profile':
        return html`<ra-profile-page></ra-profile-page>`;
      case 'check-card':
        return html`<ra-check-card-page signed-in></ra-check-card-page>`;
      default:
        // A place in the navigation with no page here yet.
        return html`<section data-testid="not-found"><h1>Page not found</h1>
          <p><a href="${this.home(me)}">Go to your start page</a></p></section>`;
    }
  }
}
customElements.define('ra-app', RaApp);
