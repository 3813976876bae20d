import { html, LitElement, nothing } from 'lit';
import type { Schemas } from '../api/client.ts';
import { date, statusLabel, statusTag, systemLabels } from '../format.ts';
import { shared } from '../styles.ts';

type Assignment = Schemas['Assignment'];

/**
 * A person's positions, current and ended; rows stack on a narrow screen. With
 * `can-remove`, an assignment the server says the caller may remove (its `actions`) gets a
 * Remove button that fires `ra-remove-assignment` with the assignment.
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

  private removable(a: Assignment) {
    return this.canRemove && (a.actions ?? []).includes('remove');
  }

  override render() {
    if (!this.assignments.length) return html`<p>No positions yet.</p>`;
    const withActions = this.assignments.some((a) => this.removable(a));
    return html`<table class="stack">
      <thead><tr><th scope="col">Position</th><th scope="col">Systems</th><th scope="col">From</th><th scope="col">To</th><th scope="col">State</th>${withActions ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : nothing}</tr></thead>
      <tbody>${this.assignments.map(
        (a) => html`<tr data-testid="assignment">
          <td data-label="Position">${a.position.name} <span class="muted">${a.position.odsCode}</span></td>
          <td data-label="Systems">${a.position.systems.map((s) => systemLabels[s] ?? s).join(', ')}</td>
          <td data-label="From">${date(a.startDate)}</td>
          <td data-label="To">${a.endedAt ? date(a.endedAt) : date(a.endDate) || html`<span class="muted">no end date</span>`}</td>
          <td data-label="State"><span class="tag ${statusTag[a.state] ?? ''}">${statusLabel(a.state)}</span>${a.endNote ? html`<br /><span class="muted">${a.endNote}</span>` : nothing}</td>
          ${
            withActions
              ? html`<td>${
                  this.removable(a)
                    ? html`<button type="button" class="secondary" aria-label="Remove ${a.position.name}"
                        @click=${() => this.dispatchEvent(new CustomEvent('ra-remove-assignment', { detail: a, bubbles: true, composed: true }))}>Remove</button>`
                    : nothing
                }</td>`
              : nothing
          }
        </tr>`,
      )}</tbody>
    </table>`;
  }
}
customElements.define('ra-assignments-table', RaAssignmentsTable);
