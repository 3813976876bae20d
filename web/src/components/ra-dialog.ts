import { css, html, LitElement } from 'lit';
import { shared } from '../styles.ts';

/** One answer of a question the dialog asks with radio buttons. */
export interface DialogChoice {
  value: string;
  label: string;
}

/**
 * A modal dialog (the native `<dialog>`) asking for a confirmation, with an optional
 * required reason, typed (`reasonLabel`) or picked from `choices` (radio buttons under the
 * question `choiceLabel`): the app's answer to the browser's `prompt()`. Fires `confirm`
 * with `detail.reason` (the text, or the value picked) or `cancel`; the page decides what to
 * do and closes it.
 *
 *     <ra-dialog heading="Suspend Jo Smith" reasonLabel="Why?" confirmLabel="Suspend"
 *       @confirm=${...} @cancel=${...}></ra-dialog>   then  dialog.show()
 */
export class RaDialog extends LitElement {
  static override properties = {
    heading: {},
    reasonLabel: {},
    confirmLabel: {},
    dismissLabel: {},
    choiceLabel: {},
    choices: { attribute: false },
    danger: { type: Boolean },
    error: { state: true },
  };
  declare heading: string;
  /** The label of a required reason; empty for no reason field. */
  declare reasonLabel: string;
  declare confirmLabel: string;
  /** The button that closes the dialog without doing anything ("Cancel" unless that misleads). */
  declare dismissLabel: string;
  /** The question the choices answer; with `choices`, one must be picked. */
  declare choiceLabel: string;
  declare choices: DialogChoice[];
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
      fieldset {
        border: none;
        margin: 0 0 0.75rem;
        padding: 0;
      }
      legend {
        font-weight: 600;
        margin-bottom: 0.35rem;
      }
      fieldset label {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        padding: 0.2rem 0;
        font-weight: normal;
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
    this.dismissLabel = 'Cancel';
    this.choiceLabel = '';
    this.choices = [];
    this.danger = false;
    this.error = '';
  }

  private get dialog() {
    return this.renderRoot.querySelector('dialog');
  }

  /** Opens the dialog, empty, with focus on its first field (or, for a dangerous move, its way out). */
  async show() {
    await this.updateComplete;
    this.error = '';
    const form = this.renderRoot.querySelector('form');
    form?.reset();
    this.dialog?.showModal();
    // A dangerous move with nothing to fill in starts on the way out, so that a stray Enter
    // does not make it.
    if (this.danger && !this.choices.length && !this.reasonLabel) {
      this.renderRoot.querySelector<HTMLButtonElement>('button.secondary')?.focus();
    }
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
    const data = new FormData(event.target as HTMLFormElement);
    if (this.choices.length) {
      const choice = String(data.get('choice') ?? '');
      if (!choice) {
        this.error = 'Choose a reason';
        return;
      }
      this.error = '';
      this.dispatchEvent(new CustomEvent('confirm', { detail: { reason: choice } }));
      return;
    }
    const reason = String(data.get('reason') ?? '').trim();
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
          this.choices.length
            ? html`<fieldset aria-describedby=${this.error ? 'choice-error' : ''}>
                <legend>${this.choiceLabel}</legend>
                ${this.choices.map(
                  (c) =>
                    html`<label><input type="radio" name="choice" value=${c.value} required> ${c.label}</label>`,
                )}
                ${this.error ? html`<p class="field-error" id="choice-error" role="alert">${this.error}</p>` : ''}
              </fieldset>`
            : this.reasonLabel
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
          <button type="button" class="secondary" @click=${this.cancel}>${this.dismissLabel}</button>
        </div>
      </form>
    </dialog>`;
  }
}

customElements.define('ra-dialog', RaDialog);
