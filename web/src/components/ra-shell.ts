import { css, html, LitElement } from 'lit';
import { legacyApi as api } from '../api/legacy-client.ts';
import type { Me } from '../api/types.ts';
import { type NavItem, navItems, type WorklistKind } from '../nav.ts';
import { shared } from '../styles.ts';

/** Header with who is signed in, the navigation their permissions allow, and the page. */
export class RaShell extends LitElement {
  static override properties = {
    me: { attribute: false },
    path: { attribute: false },
    failedSignIns: { attribute: false },
    waiting: { attribute: false },
  };
  /** The signed-in user. */
  declare me: Me;
  /** Failed attempts on the account since the last sign-in: told once, just after signing in. */
  declare failedSignIns: Me['failedSignIns'];
  /** The current path, to mark the current navigation item. */
  declare path: string;
  /** How much work waits, by worklist kind, shown beside its navigation item. */
  declare waiting: Partial<Record<WorklistKind, number>> | undefined;

  static override styles = [
    shared,
    css`
      header {
        background: var(--ra-blue);
        color: var(--ra-white);
      }
      .bar {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 1rem;
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
        gap: 1rem;
        font-size: 0.95rem;
      }
      .who button {
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
        padding: 0.6rem 0.9rem;
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

  private skipToContent(event: Event) {
    // Fragment links do not reach into shadow roots, so the skip link moves focus itself.
    event.preventDefault();
    this.focusMain();
  }

  private async signOut() {
    try {
      await api.post('/api/auth/logout');
    } finally {
      this.dispatchEvent(new CustomEvent('ra-signed-out', { bubbles: true, composed: true }));
    }
  }

  private renderFailedSignIns() {
    const failed = this.failedSignIns;
    if (!failed || failed.count === 0) return '';
    const places = failed.addresses.length;
    return html`<div class="message error" role="alert" data-testid="failed-sign-ins">
      <p><strong>${failed.count} failed sign-in attempt${failed.count === 1 ? '' : 's'}</strong>
        on your account since you last signed in, from ${places} place${places === 1 ? '' : 's'}.
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

  override render() {
    const items = navItems.filter((i) => this.me.permissions.includes(i.permission));
    const roles = this.me.roles
      .map((r) => (r.organisation ? `${r.label}, ${r.organisation.odsCode}` : r.label))
      .join('; ');
    return html`
      <a class="skip" href="#main" @click=${this.skipToContent}>Skip to content</a>
      <header>
        <div class="bar">
          <a class="product" href="/">Smartcard RA</a>
          <div class="who">
            <span><strong data-testid="display-name">${this.me.account.displayName}</strong>
              <span data-testid="roles">(${roles})</span></span>
            <button type="button" @click=${this.signOut}>Sign out</button>
          </div>
        </div>
        <nav aria-label="Main">
          <ul>
            ${items.map(
              (i) => html`<li><a href=${i.path}
                aria-current=${this.path === i.path || this.path.startsWith(`${i.path}/`) ? 'page' : 'false'}>${this.label(i)}</a></li>`,
            )}
          </ul>
        </nav>
      </header>
      <main id="main" tabindex="-1">${this.renderFailedSignIns()}<slot></slot></main>
      <footer><a href="/api/docs">API documentation</a></footer>
    `;
  }
}
customElements.define('ra-shell', RaShell);
