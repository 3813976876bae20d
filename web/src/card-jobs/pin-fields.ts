import { html } from 'lit';
import type { FormFeedback, Problem } from '../forms/form-feedback.ts';

/** DOMAIN.md: a PIN is 6 to 8 digits, numbers only. */
const pinPattern = /^[0-9]{6,8}$/;

/**
 * The PIN and its confirmation, typed by the holder. They go to the reader agent on this
 * computer only; the fields are never sent to the server and not remembered by the browser.
 */
export function pinFields(
  feedback: FormFeedback,
  labels: { pin: string; confirmation: string; hint?: string } = {
    pin: 'New PIN',
    confirmation: 'New PIN again',
    hint: '6 to 8 digits, typed by the card holder',
  },
) {
  const field = (name: 'pin' | 'pinConfirmation', label: string, hint?: string) => html`<div>
    <label for=${name}>${label}${hint ? html` <span class="hint">${hint}</span>` : ''}</label>
    <input id=${name} name=${name} type="password" inputmode="numeric" autocomplete="new-password"
      required minlength="6" maxlength="8" pattern="[0-9]{6,8}" size="10"
      title="Use 6 to 8 digits, numbers only"
      aria-invalid=${feedback.invalid(name) ? 'true' : 'false'} aria-describedby=${feedback.describedBy(name)} />
    ${feedback.errorFor(name)}
  </div>`;
  return html`${field('pin', labels.pin, labels.hint)}${field('pinConfirmation', labels.confirmation)}`;
}

/** One PIN field alone (the holder's current PIN, which the card checks). */
export function currentPinField(feedback: FormFeedback, label = 'Your PIN') {
  return html`<div>
    <label for="pin">${label} <span class="hint">The card checks it; it is not sent to the server</span></label>
    <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off"
      required minlength="6" maxlength="8" pattern="[0-9]{6,8}" size="10"
      title="Use 6 to 8 digits, numbers only"
      aria-invalid=${feedback.invalid('pin') ? 'true' : 'false'} aria-describedby=${feedback.describedBy('pin')} />
    ${feedback.errorFor('pin')}
  </div>`;
}

/** The page's own checks beyond the browser's: the two PINs the same. */
export function pinProblems(form: HTMLFormElement): Omit<Problem, 'label'>[] {
  const data = new FormData(form);
  const pin = String(data.get('pin') ?? '');
  const confirmation = data.get('pinConfirmation');
  if (confirmation === null || !pinPattern.test(pin)) return [];
  return String(confirmation) === pin
    ? []
    : [{ field: 'pinConfirmation', message: 'Type the same PIN again: the two are different' }];
}

/** The PIN fields' values, read once for handing to the agent. */
export function pinsOf(form: HTMLFormElement): { pin?: string; pinConfirmation?: string } {
  const data = new FormData(form);
  const pin = data.get('pin');
  const confirmation = data.get('pinConfirmation');
  return {
    ...(pin !== null ? { pin: String(pin) } : {}),
    ...(confirmation !== null ? { pinConfirmation: String(confirmation) } : {}),
  };
}
