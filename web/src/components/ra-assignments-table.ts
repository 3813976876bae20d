import { html, LitElement } from 'lit';
import type { Assignment } from '../api/types.ts';
import { date, statusTag, systemLabels, words } from '../format.ts';
import { shared } from '../styles.ts';

/**
 * A person's positions, current and ended. With `can-remove`, open ones get a Remove button
 * that fires `ra-remove-assignment` with the assignment.
 */
export class RaAssignmentsTable extends LitElement {
  static override properties = {
    assignments: { attribute: false },
    canRemove: { type: Boolean, attribute: 'can-remove' },
  };
  declare assignments: Assignment[];
  declare canRemove: boolean;
  static override styles = [shared];

  constructor() {
    super();
    this.assignments = [];
    this.canRemove = false;
  }

  override render() {
    if (!this.assignments.length) return html`<p>No positions yet.</p>`;
    return html`<table>
      <thead><tr><th scope="col">Position</th><th scope="col">Systems</th><th scope="col">From</th><th scope="col">To</th><th scope="col">State</th>${this.canRemove ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
      <tbody>${this.assignments.map(
        (a) => html`<tr data-testid="assignment">
          <td>${a.position.name} <span class="muted">${a.position.odsCode}</span></td>
          <td>${a.position.systems.map((s) => systemLabels[s] ?? s).join(', ')}</td>
          <td>${date(a.startDate)}</td>
          <td>${a.endedAt ? date(a.endedAt) : date(a.endDate)}</td>
          <td><span class="tag ${statusTag[a.state] ?? ''}">${words(a.state)}</span>${a.endNote ? html`<br /><span class="muted">${a.endNote}</span>` : ''}</td>
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
