import { css, html, LitElement } from 'lit';
import { shared } from '../styles.ts';

/**
 * A modal dialog (the native `<dialog>`) asking for a confirmation, with an optional
 * required reason: the app's answer to the browser's `prompt()`. Fires `confirm` with
 * `detail.reason` or `cancel`; the page decides what to do and closes it.
 *
 *     <ra-dialog heading="Suspend Jo Smith" reasonLabel="Why?" confirmLabel="Suspend"
 *       @confirm=${...} @cancel=${...}></ra-dialog>   then  dialog.show()
 */
export class RaDialog extends LitElement {
  static override properties = {
    heading: {},
    reasonLabel: {},
    confirmLabel: {},
    danger: { type: Boolean },
    error: { state: true },
  };
  declare heading: string;
  /** The label of a required reason; empty for no reason field. */
  declare reasonLabel: string;
  declare confirmLabel: string;
  declare danger: boolean;
  declare error: string;

  static override styles = [
    shared,
    css`
      dialog {
        border: none;
        border-radius: 6px;
        padding: 1.25rem;
        width: min(32rem, calc(100vw - 2rem));
        box-sizing: border-box;
        box-shadow: 0 4px 24px rgb(0 0 0 / 30%);
      }
      dialog::backdrop {
        background: rgb(33 43 50 / 50%);
      }
      h2 {
        margin-top: 0;
        font-size: 1.25rem;
      }
      textarea {
        width: 100%;
        box-sizing: border-box;
        font: inherit;
        min-height: 5rem;
      }
    `,
  ];

  constructor() {
    super();
    this.heading = '';
    this.reasonLabel = '';
    this.confirmLabel = 'Confirm';
    this.danger = false;
    this.error = '';
  }

  private get dialog() {
    return this.renderRoot.querySelector('dialog');
  }

  /** Opens the dialog, empty, with focus on its first field. */
  async show() {
    await this.updateComplete;
    this.error = '';
    const form = this.renderRoot.querySelector('form');
    form?.reset();
    this.dialog?.showModal();
  }

  close() {
    this.dialog?.close();
  }

  /** Shows a problem inside the open dialog (a refusal from the server). */
  fail(message: string) {
    this.error = message;
  }

  private submit(event: SubmitEvent) {
    event.preventDefault();
    const reason = String(new FormData(event.target as HTMLFormElement).get('reason') ?? '').trim();
    if (this.reasonLabel && !reason) {
      // The label is often a question ("Why are they being suspended?"): the message is not.
      this.error = 'Give a reason';
      return;
    }
    this.error = '';
    this.dispatchEvent(new CustomEvent('confirm', { detail: { reason } }));
  }

  private cancel() {
    this.close();
    this.dispatchEvent(new CustomEvent('cancel'));
  }

  override render() {
    return html`<dialog aria-labelledby="dialog-heading" @cancel=${() => this.dispatchEvent(new CustomEvent('cancel'))}>
      <h2 id="dialog-heading">${this.heading}</h2>
      <slot></slot>
      <form novalidate @submit=${this.submit}>
        ${
          this.reasonLabel
            ? html`<label for="reason">${this.reasonLabel}</label>
              <textarea id="reason" name="reason" maxlength="500" required
                aria-invalid=${this.error ? 'true' : 'false'}
                aria-describedby=${this.error ? 'reason-error' : ''}></textarea>
              ${this.error ? html`<p class="field-error" id="reason-error" role="alert">${this.error}</p>` : ''}`
            : this.error
              ? html`<p class="message error" role="alert">${this.error}</p>`
              : ''
        }
        <div class="actions">
          <button type="submit" class=${this.danger ? 'danger' : ''}>${this.confirmLabel}</button>
          <button type="button" class="secondary" @click=${this.cancel}>Cancel</button>
        </div>
      </form>
    </dialog>`;
  }
}

customElements.define('ra-dialog', RaDialog);
