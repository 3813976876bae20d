import { css, html, LitElement } from 'lit';
import { api } from '../api/client.ts';
import { count } from '../format.ts';
import { type NavItem, navItems, type WorklistKind } from '../nav.ts';
import type { Me } from '../session.ts';
import { shared } from '../styles.ts';

/**
 * Header with who is signed in, the navigation their permissions allow, and the page. On a
 * narrow screen the navigation folds behind a "Menu" button, so the page starts near the top.
 */
export class RaShell extends LitElement {
  static override properties = {
    me: { attribute: false },
    path: { attribute: false },
    failedSignIns: { attribute: false },
    menuOpen: { state: true },
    moreOpen: { state: true },
    waiting: { attribute: false },
  };
  /** The signed-in user. */
  declare me: Me;
  /** Failed attempts on the account since the last sign-in: told once, just after signing in. */
  declare failedSignIns: Me['failedSignIns'];
  /** The current path, to mark the current navigation item. */
  declare path: string;
  /** Whether the folded navigation is open (narrow screens only; wide ones always show it). */
  declare menuOpen: boolean;
  /** Whether the "More" list of the bar is open (wide screens; a narrow menu lists them all). */
  declare moreOpen: boolean;
  /** How much work waits, by worklist kind, shown beside its navigation item. */
  declare waiting: Partial<Record<WorklistKind, number>> | undefined;

  constructor() {
    super();
    this.menuOpen = false;
    this.moreOpen = false;
  }

  override connectedCallback() {
    super.connectedCallback();
    document.addEventListener('click', this.clickElsewhere);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    document.removeEventListener('click', this.clickElsewhere);
  }

  /** A click anywhere but in the "More" list or on its button folds the list. */
  private readonly clickElsewhere = (event: MouseEvent) => {
    if (!this.moreOpen) return;
    const more = this.renderRoot.querySelector('li.more');
    if (more && !event.composedPath().includes(more)) this.moreOpen = false;
  };

  static override styles = [
    shared,
    css`
      header {
        background: var(--ra-blue);
        color: var(--ra-white);
      }
      .bar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
        max-width: 72rem;
        margin: 0 auto;
        padding: 0.6rem 1.25rem;
      }
      .product {
        font-weight: 700;
        font-size: 1.2rem;
        color: var(--ra-white);
        text-decoration: none;
      }
      .who {
        display: flex;
        align-items: center;
        gap: 0.5rem 1rem;
        margin-left: auto;
        font-size: 0.95rem;
        min-width: 0;
      }
      .who ul {
        display: flex;
        gap: 0.25rem 1rem;
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .who nav {
        background: transparent;
      }
      .who a {
        display: inline;
        padding: 0;
        color: var(--ra-white);
        font-weight: 600;
        white-space: nowrap;
        text-decoration: underline;
      }
      .who a[aria-current='page'] {
        text-decoration-thickness: 3px;
        box-shadow: none;
      }
      /* The user's own pages sit by their name on a wide screen, in the menu on a narrow one. */
      nav li.personal {
        display: none;
      }
      .who button {
        flex: none;
        background: var(--ra-white);
        color: var(--ra-blue);
        border-color: var(--ra-white);
        padding: 0.3rem 0.8rem;
      }
      nav {
        background: var(--ra-blue-dark);
      }
      nav ul {
        display: flex;
        flex-wrap: wrap;
        list-style: none;
        margin: 0 auto;
        padding: 0 1.25rem;
        max-width: 72rem;
      }
      nav a {
        display: block;
        padding: 0.6rem 0.75rem;
        color: var(--ra-white);
        text-decoration: none;
        font-weight: 600;
      }
      nav a[aria-current='page'] {
        box-shadow: inset 0 -4px 0 var(--ra-white);
      }
      nav a:hover {
        text-decoration: underline;
      }
      /* "More": a button in the bar opening a list of links below it. */
      li.more {
        position: relative;
      }
      button.more-toggle {
        display: flex;
        align-items: center;
        gap: 0.4rem;
        height: 100%;
        padding: 0.6rem 0.75rem;
        border: 0;
        border-radius: 0;
        background: transparent;
        color: var(--ra-white);
        font-weight: 600;
      }
      button.more-toggle:hover {
        text-decoration: underline;
      }
      button.more-toggle.current {
        box-shadow: inset 0 -4px 0 var(--ra-white);
      }
      .caret {
        width: 0.45rem;
        height: 0.45rem;
        border-right: 2px solid currentColor;
        border-bottom: 2px solid currentColor;
        transform: translateY(-0.15rem) rotate(45deg);
      }
      button.more-toggle[aria-expanded='true'] .caret {
        transform: translateY(0.1rem) rotate(225deg);
      }
      nav ul.more-pages {
        display: none;
        position: absolute;
        right: 0;
        top: 100%;
        z-index: 10;
        min-width: 12rem;
        flex-direction: column;
        padding: 0.25rem 0;
        background: var(--ra-blue-dark);
        box-shadow: 0 4px 12px rgb(0 0 0 / 25%);
      }
      nav ul.more-pages.open {
        display: flex;
      }
      nav ul.more-pages a[aria-current='page'] {
        box-shadow: inset 4px 0 0 var(--ra-white);
      }
      button.menu {
        display: none;
        align-items: center;
        gap: 0.6rem;
        margin-left: auto;
        padding: 0.3rem 0.8rem;
        background: transparent;
        border-color: var(--ra-white);
        color: var(--ra-white);
      }
      button.menu:hover,
      button.menu[aria-expanded='true'] {
        background: var(--ra-blue-dark);
        border-color: var(--ra-white);
      }
      .bars,
      .bars::before,
      .bars::after {
        display: block;
        width: 1.1rem;
        height: 2px;
        background: currentColor;
        position: relative;
      }
      .bars::before,
      .bars::after {
        content: '';
        position: absolute;
      }
      .bars::before {
        top: -6px;
      }
      .bars::after {
        top: 6px;
      }
      main:focus {
        /* Focus lands here only by script (after navigating); the page is the cue. */
        outline: none;
      }
      main {
        max-width: 72rem;
        margin: 0 auto;
        padding: 1.5rem 1.25rem 3rem;
      }
      footer {
        max-width: 72rem;
        margin: 0 auto;
        padding: 0 1.25rem 2rem;
        font-size: 0.9rem;
      }
      /* A narrow screen folds the navigation behind the Menu button (beside the product's
         name), one link a row when open; who is signed in takes the row below. */
      @media (max-width: 48rem) {
        button.menu {
          display: inline-flex;
        }
        .who {
          flex: 1 1 100%;
          justify-content: space-between;
        }
        nav:not(.open),
        .who nav {
          display: none;
        }
        nav li.personal {
          display: list-item;
        }
        /* The folded menu lists every page, one a row: no "More" within it. */
        button.more-toggle {
          display: none;
        }
        nav ul.more-pages {
          display: flex;
          position: static;
          min-width: 0;
          padding: 0;
          box-shadow: none;
        }
        nav ul {
          flex-direction: column;
          padding-top: 0.25rem;
          padding-bottom: 0.5rem;
        }
        nav a[aria-current='page'] {
          box-shadow: inset 4px 0 0 var(--ra-white);
        }
      }
      @media (max-width: 40rem) {
        .bar,
        nav ul {
          padding-left: 0.75rem;
          padding-right: 0.75rem;
        }
        .who {
          font-size: 0.9rem;
        }
        main {
          padding: 1rem 0.75rem 2rem;
        }
        footer {
          padding: 0 0.75rem 2rem;
        }
      }
      .skip {
        position: absolute;
        left: -999px;
      }
      .skip:focus {
        left: 1rem;
        top: 0.5rem;
        background: var(--ra-focus);
        color: var(--ra-text);
        padding: 0.5rem;
      }
    `,
  ];

  /** Puts focus on the page's content, where a reader of the page starts after navigating. */
  focusMain() {
    this.renderRoot.querySelector<HTMLElement>('main')?.focus();
  }

  override willUpdate(changed: Map<string, unknown>) {
    // A move to another page folds the menu again, as a page load would.
    if (changed.has('path')) {
      this.menuOpen = false;
      this.moreOpen = false;
    }
  }

  private toggleMenu() {
    this.menuOpen = !this.menuOpen;
  }

  /** Escape folds an open menu and gives focus back to its button. */
  private headerKeydown(event: KeyboardEvent) {
    if (event.key !== 'Escape') return;
    if (this.moreOpen) {
      this.moreOpen = false;
      this.renderRoot.querySelector<HTMLButtonElement>('button.more-toggle')?.focus();
      return;
    }
    if (!this.menuOpen) return;
    this.menuOpen = false;
    this.renderRoot.querySelector<HTMLButtonElement>('button.menu')?.focus();
  }

  private skipToContent(event: Event) {
    // Fragment links do not reach into shadow roots, so the skip link moves focus itself.
    event.preventDefault();
    this.focusMain();
  }

  private async signOut() {
    try {
      await api.POST('/api/auth/logout');
    } finally {
      this.dispatchEvent(new CustomEvent('ra-signed-out', { bubbles: true, composed: true }));
    }
  }

  private renderFailedSignIns() {
    const failed = this.failedSignIns;
    if (!failed || failed.count === 0) return '';
    return html`<div class="message error" role="alert" data-testid="failed-sign-ins">
      <p><strong>${count(failed.count, 'failed sign-in attempt')}</strong>
        on your account since you last signed in, from ${count(failed.addresses.length, 'place')}.
        If they were not you, tell the RA team: they can see where they came from.</p>
      <button type="button" @click=${() => {
        this.failedSignIns = null;
      }}>Dismiss</button>
    </div>`;
  }

  /** The item's label, with how much waits there when anything does: "Requests (3)". */
  private label(item: NavItem) {
    const waiting = item.waiting ? (this.waiting?.[item.waiting] ?? 0) : 0;
    return waiting ? `${item.label} (${waiting})` : item.label;
  }

  private current(item: NavItem) {
    return this.path === item.path || this.path.startsWith(`${item.path}/`) ? 'page' : 'false';
  }

  /** Keyboard focus leaving the "More" list and its button folds the list. */
  private moreFocusOut(event: FocusEvent) {
    const to = event.relatedTarget;
    if (to instanceof Node && (event.currentTarget as HTMLElement).contains(to)) return;
    this.moreOpen = false;
  }

  private link(item: NavItem) {
    return html`<li class=${item.personal ? 'personal' : ''}><a href=${item.path}
      aria-current=${this.current(item)}>${this.label(item)}</a></li>`;
  }

  /** The pages gathered under "More", behind a button that opens them as a list. */
  private renderMore(items: NavItem[]) {
    const current = items.some((i) => this.current(i) === 'page');
    return html`<li class="more" @focusout=${this.moreFocusOut}>
      <button type="button" class="more-toggle ${current ? 'current' : ''}"
        aria-expanded=${this.moreOpen ? 'true' : 'false'} aria-controls="more-pages"
        @click=${() => {
          this.moreOpen = !this.moreOpen;
        }}>More<span class="caret" aria-hidden="true"></span></button>
      <ul id="more-pages" class="more-pages ${this.moreOpen ? 'open' : ''}">${items.map((i) => this.link(i))}</ul>
    </li>`;
  }

  override render() {
    const items = navItems.filter((i) => this.me.permissions.includes(i.permission));
    const personal = items.filter((i) => i.personal);
    const gathered = items.filter((i) => i.more && !i.personal);
    // One such page alone stays in the bar: a "More" of one link would hide it for nothing.
    const more = gathered.length >= 2 ? gathered : [];
    const bar = items.filter((i) => !i.personal && !more.includes(i));
    const roles = this.me.roles
      .map((r) => (r.organisation ? `${r.label}, ${r.organisation.odsCode}` : r.label))
      .join('; ');
    return html`
      <a class="skip" href="#main" @click=${this.skipToContent}>Skip to content</a>
      <header @keydown=${this.headerKeydown}>
        <div class="bar">
          <a class="product" href="/">Smartcard RA</a>
          <button type="button" class="menu" aria-expanded=${this.menuOpen ? 'true' : 'false'}
            aria-controls="main-nav" @click=${this.toggleMenu}><span class="bars" aria-hidden="true"></span>Menu</button>
          <div class="who">
            <span><strong data-testid="display-name">${this.me.account.displayName}</strong>
              <span data-testid="roles">(${roles})</span></span>
            ${
              personal.length
                ? html`<nav aria-label="Your account"><ul>${personal.map(
                    (i) =>
                      html`<li><a href=${i.path} aria-current=${this.current(i)}>${i.label}</a></li>`,
                  )}</ul></nav>`
                : ''
            }
            <button type="button" @click=${this.signOut}>Sign out</button>
          </div>
        </div>
        <nav id="main-nav" aria-label="Main" class=${this.menuOpen ? 'open' : ''}>
          <ul>
            ${bar.map((i) => this.link(i))}
            ${more.length ? this.renderMore(more) : ''}
            ${personal.map((i) => this.link(i))}
          </ul>
        </nav>
      </header>
      <main id="main" tabindex="-1">${this.renderFailedSignIns()}<slot></slot></main>
      <footer><a href="/api/docs">API documentation</a></footer>
    `;
  }
}
customElements.define('ra-shell', RaShell);
