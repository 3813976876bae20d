import { css, html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api } from '../api/legacy-client.ts';
import { dateTime } from '../format.ts';
import { shared } from '../styles.ts';

interface SignInThrottle {
  kind: 'account' | 'address' | 'account_address';
  username: string | null;
  address: string | null;
  failures: number;
  accounts: number | null;
  blockedUntil: string;
}

const kindWords: Record<SignInThrottle['kind'], string> = {
  account: 'Username locked from everywhere',
  address: 'Address locked for everyone',
  account_address: 'Username waiting at this address',
};

/** Who is held back from signing in now, and a button to let them try again (RA managers). */
export class RaSignInLocksPage extends LitElement {
  static override properties = {
    items: { state: true },
    error: { state: true },
    notice: { state: true },
  };
  declare items: SignInThrottle[];
  declare error: string;
  declare notice: string;

  static override styles = [
    shared,
    css`
      td button {
        padding: 0.2rem 0.7rem;
      }
    `,
  ];

  constructor() {
    super();
    this.items = [];
    this.error = '';
    this.notice = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.items = (await api.get<{ items: SignInThrottle[] }>('/api/sign-in-throttles')).items;
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The sign-in locks could not be loaded.';
    }
  }

  private async clear(item: SignInThrottle) {
    this.error = '';
    this.notice = '';
    try {
      await api.post('/api/sign-in-throttles/clear', {
        ...(item.username !== null ? { username: item.username } : {}),
        ...(item.address !== null ? { address: item.address } : {}),
      });
      this.notice = `Cleared: ${[item.username, item.address].filter(Boolean).join(' at ')} may sign in again.`;
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The lock was not cleared.';
    }
  }

  override render() {
    return html`<section>
      <h1>Sign-in locks</h1>
      <p>Who is held back from signing in now, after failed attempts. Clear a lock once you
        know the person is who they say; the holder is told of the attempts when they sign in.</p>
      <div role="status" aria-live="polite">
        ${this.notice ? html`<p class="message success">${this.notice}</p>` : ''}
        ${this.error ? html`<p class="message error">${this.error}</p>` : ''}
      </div>
      ${
        this.items.length === 0
          ? html`<p>Nobody is held back.</p>`
          : html`<table>
          <thead><tr><th>What</th><th>Username</th><th>Address</th><th>Failures</th><th>Until</th><th></th></tr></thead>
          <tbody>${this.items.map(
            (i) => html`<tr>
              <td>${kindWords[i.kind]}</td>
              <td>${i.username ?? '—'}</td>
              <td>${i.address ?? '—'}</td>
              <td>${i.failures}${i.accounts !== null ? ` (${i.accounts} usernames)` : ''}</td>
              <td>${dateTime(i.blockedUntil)}</td>
              <td><button type="button" @click=${() => this.clear(i)}>Clear</button></td>
            </tr>`,
          )}</tbody>
        </table>`
      }
    </section>`;
  }
}
customElements.define('ra-sign-in-locks-page', RaSignInLocksPage);
