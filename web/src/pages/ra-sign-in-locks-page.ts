import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import '../components/ra-loading.ts';
import { count, dateTime } from '../format.ts';
import { shared } from '../styles.ts';

type SignInThrottle = Schemas['SignInThrottle'];

const kindWords: Record<SignInThrottle['kind'], string> = {
  account: 'Username locked from everywhere',
  address: 'Address locked for everyone',
  account_address: 'Username waiting at this address',
};

const problem = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

/** Who a lock holds back, in words: "jo.smith at 10.0.0.7". */
const whom = (i: SignInThrottle) => [i.username, i.address].filter(Boolean).join(' at ');

/** Who is held back from signing in now, and a button to let them try again (RA managers). */
export class RaSignInLocksPage extends LitElement {
  static override properties = { notice: { state: true } };
  /** What the last "Clear" did, or why it failed. */
  declare notice: { text: string; error: boolean } | null;

  private locks = new Task(this, {
    args: () => [] as const,
    task: async (_args, { signal }) =>
      (await ok(api.GET('/api/sign-in-throttles', { signal }), signal)).items,
  });

  static override styles = [
    shared,
    css`
      td button {
        padding: 0.2rem 0.7rem;
      }
      .notice:focus {
        outline: none;
      }
    `,
  ];

  constructor() {
    super();
    this.notice = null;
  }

  private async clear(item: SignInThrottle) {
    this.notice = null;
    try {
      await ok(
        api.POST('/api/sign-in-throttles/clear', {
          body: {
            ...(item.username !== null ? { username: item.username } : {}),
            ...(item.address !== null ? { address: item.address } : {}),
          },
        }),
      );
      this.notice = { text: `Cleared: ${whom(item)} may sign in again.`, error: false };
      void this.locks.run();
    } catch (err) {
      this.notice = { text: problem(err, 'The lock was not cleared. Try again.'), error: true };
    }
    // The button pressed may be gone with its row: the notice takes focus, in view.
    await this.updateComplete;
    const notice = this.renderRoot.querySelector<HTMLElement>('.notice');
    notice?.focus({ preventScroll: true });
    notice?.scrollIntoView({ block: 'center' });
  }

  override render() {
    return html`<section>
      <h1>Sign-in locks</h1>
      <p>Who is held back from signing in now, after failed attempts. Clear a lock once you
        know the person is who they say; the holder is told of the attempts when they sign in.</p>
      ${
        this.notice
          ? html`<p class="message notice ${this.notice.error ? 'error' : 'success'}" tabindex="-1"
              role=${this.notice.error ? 'alert' : 'status'}>${this.notice.text}</p>`
          : nothing
      }
      ${this.locks.render({
        pending: () =>
          this.locks.value
            ? this.renderTable(this.locks.value)
            : html`<ra-loading label="Loading sign-in locks…"></ra-loading>`,
        complete: (items) => this.renderTable(items),
        error: (err) =>
          html`<p class="message error" role="alert">${problem(err, 'The sign-in locks could not be loaded.')}</p>`,
      })}
    </section>`;
  }

  private renderTable(items: SignInThrottle[]) {
    if (items.length === 0) return html`<p data-testid="no-locks">Nobody is held back.</p>`;
    return html`<h2>${count(items.length, 'lock')}</h2>
      <table class="stack">
      <thead><tr><th scope="col">What</th><th scope="col">Username</th><th scope="col">Address</th><th scope="col">Failures</th><th scope="col">Until</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${items.map(
        (i) => html`<tr data-testid="sign-in-lock">
          <td data-label="What">${kindWords[i.kind]}</td>
          <td data-label="Username">${i.username ?? '—'}</td>
          <td data-label="Address">${i.address ?? '—'}</td>
          <td data-label="Failures">${i.failures}${i.accounts !== null ? ` (${count(i.accounts, 'username')})` : ''}</td>
          <td data-label="Until">${dateTime(i.blockedUntil)}</td>
          <td><button type="button" aria-label="Clear the lock on ${whom(i)}" @click=${() => this.clear(i)}>Clear</button></td>
        </tr>`,
      )}</tbody>
    </table>`;
  }
}
customElements.define('ra-sign-in-locks-page', RaSignInLocksPage);
