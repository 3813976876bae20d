import { html, LitElement } from 'lit';
import { date, statusTag, systemLabels, words } from '../format.ts';
import { shared } from '../styles.ts';

/** An assignment as the table shows it: the API's `Assignment`, or anything with these fields. */
export interface AssignmentRow {
  id: string;
  position: { name: string; odsCode: string; systems: readonly string[] };
  startDate: string;
  endDate: string | null;
  state: string;
  endedAt: string | null;
  endNote: string | null;
}

/**
 * A person's positions, current and ended. With `can-remove`, open ones get a Remove button
 * that fires `ra-remove-assignment` with the assignment.
 */
export class RaAssignmentsTable extends LitElement {
  static override properties = {
    assignments: { attribute: false },
    canRemove: { type: Boolean, attribute: 'can-remove' },
  };
  declare assignments: AssignmentRow[];
  declare canRemove: boolean;
  static override styles = [shared];

  constructor() {
    super();
    this.assignments = [];
    this.canRemove = false;
  }

  override render() {
    if (!this.assignments.length) return html`<p>No positions yet.</p>`;
    return html`<table class="stack">
      <thead><tr><th scope="col">Position</th><th scope="col">Systems</th><th scope="col">From</th><th scope="col">To</th><th scope="col">State</th>${this.canRemove ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
      <tbody>${this.assignments.map(
        (a) => html`<tr data-testid="assignment">
          <td data-label="Position">${a.position.name} <span class="muted">${a.position.odsCode}</span></td>
          <td data-label="Systems">${a.position.systems.map((s) => systemLabels[s] ?? s).join(', ')}</td>
          <td data-label="From">${date(a.startDate)}</td>
          <td data-label="To">${a.endedAt ? date(a.endedAt) : a.endDate ? date(a.endDate) : html`<span class="muted">no end date</span>`}</td>
          <td data-label="State"><span class="tag ${statusTag[a.state] ?? ''}">${words(a.state)}</span>${a.endNote ? html`<br /><span class="muted">${a.endNote}</span>` : ''}</td>
          ${
            this.canRemove
              ? html`<td>${
                  a.endedAt
                    ? ''
                    : html`<button type="button" class="secondary" aria-label="Remove ${a.position.name}"
                        @click=${() => this.dispatchEvent(new CustomEvent('ra-remove-assignment', { detail: a, bubbles: true, composed: true }))}>Remove</button>`
                }</td>`
              : ''
          }
        </tr>`,
      )}</tbody>
    </table>`;
  }
}
customElements.define('ra-assignments-table', RaAssignmentsTable);
