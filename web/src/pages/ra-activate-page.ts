import { css, html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api } from '../api/legacy-client.ts';
import { shared } from '../styles.ts';

/** A new account's owner chooses a password with the one-time code from the RA team. */
export class RaActivatePage extends LitElement {
  static override properties = { error: { state: true }, done: { state: true } };
  declare error: string;
  declare done: boolean;
  static override styles = [
    shared,
    css`
      main {
        max-width: 28rem;
        margin: 8vh auto;
        padding: 0 1rem;
      }
      input {
        width: 100%;
      }
    `,
  ];

  constructor() {
    super();
    this.error = '';
    this.done = false;
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const password = String(data.get('password') ?? '');
    if (password !== String(data.get('confirm') ?? '')) {
      this.error = 'The two passwords are not the same.';
      return;
    }
    try {
      await api.post('/api/auth/activate', {
        username: String(data.get('username') ?? ''),
        code: String(data.get('code') ?? ''),
        password,
      });
      this.done = true;
      this.error = '';
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'Activation failed.';
    }
  }

  override render() {
    if (this.done) {
      return html`<main><div class="card"><h1>Password set</h1>
        <p class="message success" role="status">Your account is ready.</p>
        <p><a href="/login">Sign in</a></p></div></main>`;
    }
    return html`<main><div class="card">
      <h1>Choose your password</h1>
      <p>Enter the username and activation code the RA team gave you.</p>
      <div role="alert">${this.error ? html`<p class="message error">${this.error}</p>` : ''}</div>
      <form @submit=${this.submit}>
        <label for="username">Username</label><input id="username" name="username" autocomplete="username" required />
        <label for="code">Activation code</label><input id="code" name="code" autocomplete="one-time-code" required />
        <label for="password">New password <span class="hint">At least 10 characters</span></label>
        <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required />
        <label for="confirm">New password again</label>
        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required />
        <div class="actions"><button type="submit">Set password</button></div>
      </form></div></main>`;
  }
}
customElements.define('ra-activate-page', RaActivatePage);
