import { css, html, LitElement } from 'lit';
import { api, ok } from '../api/client.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';

/** A new account's owner chooses a password with the one-time code from the RA team. */
export class RaActivatePage extends LitElement {
  static override properties = { done: { state: true }, busy: { state: true } };
  declare done: boolean;
  declare busy: boolean;
  private feedback = new FormFeedback(this);

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
    this.done = false;
    this.busy = false;
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    if (!this.feedback.check(form)) return;
    const data = new FormData(form);
    const password = String(data.get('password') ?? '');
    if (password !== String(data.get('confirm') ?? '')) {
      this.feedback.show('There is a problem', [
        { field: 'confirm', message: 'Enter the same password as above' },
      ]);
      return;
    }
    this.busy = true;
    try {
      await ok(
        api.POST('/api/auth/activate', {
          body: {
            username: String(data.get('username') ?? ''),
            code: String(data.get('code') ?? ''),
            password,
          },
        }),
      );
      this.feedback.clear();
      this.done = true;
    } catch (err) {
      this.feedback.showError(err, 'Your password was not set. Try again.');
    } finally {
      this.busy = false;
    }
  }

  /** A text control with its label, hint, message and the aria that ties them together. */
  private field(
    name: string,
    label: string,
    attrs: { type?: string; autocomplete: string; minlength?: number; hint?: string },
  ) {
    return html`<label for=${name}>${label}${attrs.hint ? html` <span class="hint">${attrs.hint}</span>` : ''}</label>
      <input id=${name} name=${name} type=${attrs.type ?? 'text'} autocomplete=${attrs.autocomplete}
        minlength=${attrs.minlength ?? 0} required
        aria-invalid=${this.feedback.invalid(name) ? 'true' : 'false'}
        aria-describedby=${this.feedback.describedBy(name)} />
      ${this.feedback.errorFor(name)}`;
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
      <form novalidate @submit=${this.submit}>
        ${this.feedback.summary()}
        ${this.field('username', 'Username', { autocomplete: 'username' })}
        ${this.field('code', 'Activation code', { autocomplete: 'one-time-code' })}
        ${this.field('password', 'New password', {
          type: 'password',
          autocomplete: 'new-password',
          minlength: 10,
          hint: 'At least 10 characters',
        })}
        ${this.field('confirm', 'New password again', { type: 'password', autocomplete: 'new-password' })}
        <div class="actions"><button type="submit" ?disabled=${this.busy}>Set password</button></div>
      </form></div></main>`;
  }
}
customElements.define('ra-activate-page', RaActivatePage);
