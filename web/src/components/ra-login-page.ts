import { css, html, LitElement } from 'lit';
import { api, ok } from '../api/client.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';

/**
 * Sign in with username and password. A missing field is named by its label before anything
 * is sent; otherwise the server's message says what went wrong.
 */
export class RaLoginPage extends LitElement {
  static override properties = { busy: { state: true } };
  declare busy: boolean;
  private feedback = new FormFeedback(this);

  static override styles = [
    shared,
    css`
      main {
        max-width: 26rem;
        margin: 8vh auto 2rem;
        padding: 0 1rem;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        margin-bottom: 1.5rem;
      }
      .brand svg {
        width: 2.5rem;
        height: 2.5rem;
      }
      .brand span {
        font-size: 1.4rem;
        font-weight: 700;
        color: var(--ra-blue-dark);
      }
      input {
        width: 100%;
      }
      button[type='submit'] {
        width: 100%;
        margin-top: 1.25rem;
      }
      .foot {
        margin-top: 1.5rem;
        font-size: 0.95rem;
      }
    `,
  ];

  constructor() {
    super();
    this.busy = false;
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    if (!this.feedback.check(form)) return;
    const data = new FormData(form);
    this.busy = true;
    try {
      const me = await ok(
        api.POST('/api/auth/login', {
          body: {
            username: String(data.get('username') ?? ''),
            password: String(data.get('password') ?? ''),
          },
        }),
      );
      this.feedback.clear();
      this.dispatchEvent(
        new CustomEvent('ra-signed-in', { detail: me, bubbles: true, composed: true }),
      );
    } catch (err) {
      this.feedback.showError(err, 'Sign-in failed. Try again.');
      // The password is typed again; the summary, which takes focus, says why.
      const password = form.querySelector<HTMLInputElement>('#password');
      if (password) password.value = '';
    } finally {
      this.busy = false;
    }
  }

  override firstUpdated() {
    this.renderRoot.querySelector<HTMLInputElement>('#username')?.focus();
  }

  override render() {
    return html`<main>
      <div class="brand">
        <svg viewBox="0 0 32 32" aria-hidden="true"><rect x="2" y="6" width="28" height="20" rx="3" fill="#005eb8"/><rect x="6" y="12" width="7" height="6" rx="1" fill="#ffeb3b"/></svg>
        <span>Smartcard RA</span>
      </div>
      <div class="card">
        <h1>Sign in</h1>
        <form @submit=${this.submit} novalidate>
          ${this.feedback.summary()}
          <label for="username">Username</label>
          <input id="username" name="username" autocomplete="username" required maxlength="64"
            aria-invalid=${this.feedback.invalid('username') ? 'true' : 'false'}
            aria-describedby=${this.feedback.describedBy('username')} />
          ${this.feedback.errorFor('username')}
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"
            aria-invalid=${this.feedback.invalid('password') ? 'true' : 'false'}
            aria-describedby=${this.feedback.describedBy('password')} />
          ${this.feedback.errorFor('password')}
          <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
        </form>
      </div>
      <p class="foot">New here? If the RA team gave you an activation code, <a href="/activate">choose your password</a>.</p>
      <p class="foot"><a href="/check-card">Check my card</a>: when it expires, and whether it is locked.</p>
    </main>`;
  }
}
customElements.define('ra-login-page', RaLoginPage);
