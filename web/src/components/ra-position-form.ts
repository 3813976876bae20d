import { html, LitElement } from 'lit';
import type { Position } from '../api/types.ts';
import { systemLabels } from '../format.ts';
import { shared } from '../styles.ts';

export interface PositionChoice {
  positionId: string;
  startDate?: string;
  endDate?: string;
  note?: string;
}

/**
 * Choose a position and its dates, to assign it or to request it. Fires
 * `ra-position-chosen` with a PositionChoice; the page does the rest.
 */
export class RaPositionForm extends LitElement {
  static override properties = {
    positions: { attribute: false },
    submitLabel: { attribute: 'submit-label' },
    withNote: { type: Boolean, attribute: 'with-note' },
    formId: { attribute: 'form-id' },
  };
  /** The positions to choose from. */
  declare positions: Position[];
  /** The button's words. */
  declare submitLabel: string;
  /** Ask for a note (requests); assignments need none. */
  declare withNote: boolean;
  /** Prefix for element ids, so two forms on a page stay distinct. */
  declare formId: string;
  static override styles = [shared];

  constructor() {
    super();
    this.positions = [];
    this.submitLabel = 'Assign';
    this.withNote = false;
    this.formId = 'pos';
  }

  private submit(event: SubmitEvent) {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const value = (k: string) => String(data.get(k) ?? '') || undefined;
    const choice: PositionChoice = { positionId: String(data.get('positionId') ?? '') };
    const startDate = value('startDate');
    const endDate = value('endDate');
    const note = value('note');
    if (startDate) choice.startDate = startDate;
    if (endDate) choice.endDate = endDate;
    if (note) choice.note = note;
    this.dispatchEvent(
      new CustomEvent<PositionChoice>('ra-position-chosen', {
        detail: choice,
        bubbles: true,
        composed: true,
      }),
    );
  }

  override render() {
    const id = this.formId;
    return html`<form @submit=${this.submit}>
      <label for="${id}-position">Position</label>
      <select id="${id}-position" name="positionId" required>
        <option value="">Choose a position</option>
        ${this.positions.map(
          (p) =>
            html`<option value=${p.id}>${p.name} (${p.odsCode}) — ${p.systems.map((s) => systemLabels[s] ?? s).join(', ')}${p.assignable ? ' — assignable' : ''}</option>`,
        )}
      </select>
      <label for="${id}-start">Start date <span class="hint">Leave empty for today</span></label>
      <input id="${id}-start" name="startDate" type="date" />
      <label for="${id}-end">End date <span class="hint">Optional</span></label>
      <input id="${id}-end" name="endDate" type="date" />
      ${this.withNote ? html`<label for="${id}-note">Why is it needed?</label><input id="${id}-note" name="note" maxlength="500" size="50" />` : ''}
      <div class="actions"><button type="submit">${this.submitLabel}</button></div>
    </form>`;
  }
}
customElements.define('ra-position-form', RaPositionForm);
