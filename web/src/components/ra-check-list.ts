import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { count } from '../format.ts';

/** One choice of a check list: the value sent, the words shown, and an optional code. */
export interface CheckOption {
  value: string;
  label: string;
  /** Shown before the label, and matched by the filter (a job role's R-code). */
  code?: string;
}

/**
 * A list of checkboxes under a legend, with a filter box when the list is long: the
 * replacement for a Ctrl-click `<select multiple>`. Every checkbox is a real `<input
 * type="checkbox" name=…>` of the enclosing form, so `FormData.getAll(field)` reads the
 * choice, `FormFeedback` finds the control and labels its problem by the legend, and the
 * keyboard works as for any checkbox (Tab, Space). Filtering hides checkboxes, never
 * unchecks them.
 *
 * It renders into the light DOM, inside the page's form: pages add `checkListStyles` to
 * their styles.
 *
 *     <ra-check-list legend="Job roles" field="jobRoles" .options=${roles} .value=${chosen}
 *       .error=${feedback.errorFor('jobRoles')} ?invalid=${feedback.invalid('jobRoles')}></ra-check-list>
 */
export class RaCheckList extends LitElement {
  static override properties = {
    legend: {},
    field: {},
    hint: {},
    options: { attribute: false },
    value: { attribute: false },
    error: { attribute: false },
    invalid: { type: Boolean },
    filterFrom: { type: Number, attribute: 'filter-from' },
    filter: { state: true },
  };
  /** The group's name, as the person reads it (and as error messages name it). */
  declare legend: string;
  /**
   * The form field the checked values are sent as: each checkbox's `name`. (Not `name`
   * itself: an element of that name would be taken for the form's control.)
   */
  declare field: string;
  /** Help under the legend. */
  declare hint: string;
  declare options: CheckOption[];
  /** The values checked to begin with (and whenever the page sets it again). */
  declare value: string[];
  /** The message beside the group (`feedback.errorFor(field)`), if any. */
  declare error: TemplateResult | typeof nothing;
  declare invalid: boolean;
  /** Lists this long or longer get a filter box. */
  declare filterFrom: number;
  declare filter: string;
  private checked = new Set<string>();
  private static counter = 0;
  private readonly uid = `check-list-${++RaCheckList.counter}`;

  constructor() {
    super();
    this.legend = '';
    this.field = '';
    this.hint = '';
    this.options = [];
    this.value = [];
    this.error = nothing;
    this.invalid = false;
    this.filterFrom = 8;
    this.filter = '';
  }

  /** Light DOM: the checkboxes must belong to the page's form. */
  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  private valueKey: string | null = null;

  protected override willUpdate(changed: Map<string, unknown>) {
    // A page passes a new array on every render: only a different list starts the choice over.
    const key = this.value.join('\n');
    if (changed.has('value') && key !== this.valueKey) {
      this.valueKey = key;
      this.checked = new Set(this.value);
    }
  }

  /** The values checked now. */
  get selected(): string[] {
    return this.options.filter((o) => this.checked.has(o.value)).map((o) => o.value);
  }

  private toggle(event: Event) {
    const box = event.target as HTMLInputElement;
    if (box.checked) this.checked.add(box.value);
    else this.checked.delete(box.value);
    this.requestUpdate();
  }

  private fits(option: CheckOption, words: string[]): boolean {
    const text = `${option.code ?? ''} ${option.label}`.toLowerCase();
    return words.every((w) => text.includes(w));
  }

  override render() {
    const words = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = this.options.filter((o) => this.fits(o, words));
    const chosen = this.selected.length;
    const hintId = `${this.uid}-hint`;
    const errorId = this.invalid ? `${this.field}-error` : '';
    return html`<fieldset class="check-list" aria-describedby=${[this.hint ? hintId : '', errorId].filter(Boolean).join(' ') || nothing}>
      <legend>${this.legend} <span class="hint">${chosen ? `${count(chosen, 'chosen', 'chosen')}` : 'None chosen'}</span></legend>
      ${this.hint ? html`<span class="hint" id=${hintId}>${this.hint}</span>` : nothing}
      ${this.error}
      ${
        this.options.length >= this.filterFrom
          ? html`<label class="filter" for="${this.uid}-filter">Filter ${this.legend.toLowerCase()}
              <input id="${this.uid}-filter" type="search" autocomplete="off" .value=${this.filter}
                @input=${(e: Event) => {
                  this.filter = (e.target as HTMLInputElement).value;
                }}
                @keydown=${(e: KeyboardEvent) => {
                  // Enter in the filter box filters; it must not send the form.
                  if (e.key === 'Enter') e.preventDefault();
                }} /></label>
            <p class="hint" aria-live="polite">${words.length ? `${count(shown.length, 'match', 'matches')}` : ''}</p>`
          : nothing
      }
      ${this.options.length ? nothing : html`<p class="muted">Nothing to choose from.</p>`}
      <ul class="options">${this.options.map(
        (o) => html`<li ?hidden=${!shown.includes(o)}><label class="option">
          <input type="checkbox" name=${this.field} value=${o.value} .checked=${this.checked.has(o.value)}
            aria-invalid=${this.invalid ? 'true' : 'false'} @change=${this.toggle} />
          <span>${o.code ? html`<strong>${o.code}</strong> ` : nothing}${o.label}</span></label></li>`,
      )}</ul>
    </fieldset>`;
  }
}

/** What a page that holds an `<ra-check-list>` adds to its styles (it renders in their scope). */
export const checkListStyles = css`
  ra-check-list {
    display: block;
    min-width: 0;
  }
  fieldset.check-list {
    border: 1px solid var(--ra-border);
    border-radius: 4px;
    margin: 0.75rem 0 0;
    padding: 0.5rem 0.75rem 0.75rem;
    min-width: 0;
  }
  fieldset.check-list legend {
    font-weight: 600;
    padding: 0 0.25rem;
  }
  fieldset.check-list legend .hint {
    display: inline;
    margin-left: 0.25rem;
  }
  fieldset.check-list label.filter {
    font-weight: 400;
    margin-top: 0.25rem;
  }
  fieldset.check-list label.filter input {
    display: block;
    width: 100%;
    margin-top: 0.25rem;
  }
  fieldset.check-list .options {
    list-style: none;
    margin: 0.5rem 0 0;
    padding: 0;
    max-height: 14rem;
    overflow-y: auto;
  }
  fieldset.check-list .options li[hidden] {
    display: none;
  }
  fieldset.check-list label.option {
    display: flex;
    gap: 0.5rem;
    align-items: flex-start;
    font-weight: 400;
    margin: 0;
    padding: 0.25rem 0;
    overflow-wrap: anywhere;
  }
  fieldset.check-list label.option input {
    margin-top: 0.2rem;
    flex: none;
  }
`;

customElements.define('ra-check-list', RaCheckList);
