/**
 * What a form tells its user when something is wrong: every problem at once, each beside its
 * field by the field's label, and a summary at the top of the form that takes focus and is
 * scrolled into view, with a link to each field.
 *
 * A control in a `<fieldset data-names-fields>` is named by the fieldset's legend and its
 * label ("Document 2: Document number"), for rows of like controls.
 *
 * A form opts in with `novalidate` (so the browser's one-at-a-time bubbles stay away), gives
 * every control a `name` (the API's field path, `documents.0.number` style, or a name that
 * `fieldFor` maps to one) and a `<label for>`, and renders:
 *
 *     ${this.feedback.summary()}            // at the top of the form
 *     <input id="email" name="email" aria-invalid=${this.feedback.invalid('email') ? 'true' : 'false'}
 *       aria-describedby=${this.feedback.describedBy('email')}>
 *     ${this.feedback.errorFor('email')}    // just below the control
 *
 * Before sending, `check(form)` runs the browser's own format checks on every control and
 * shows all problems; after a refusal, `showError(err)` shows the server's problems.
 */
import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { ApiError } from '../api/client.ts';
import { missingMessage } from './messages.ts';

export interface Problem {
  /** The control's `name` (the API's field path where the control sends one). */
  field: string;
  /** The field's label, as the person sees it. */
  label: string;
  message: string;
}

// A LitElement's renderRoot is typed HTMLElement | DocumentFragment (a shadow root at run time).
type Host = ReactiveControllerHost & HTMLElement & { renderRoot: HTMLElement | DocumentFragment };

export class FormFeedback implements ReactiveController {
  problems: Problem[] = [];
  /** The summary's heading: what went wrong as a whole. */
  headline = '';
  /** A success message, cleared by the next problem or the next `clear()`. */
  success = '';
  private focusPending = false;

  constructor(
    private readonly host: Host,
    /**
     * Maps a server field path to the control's name when they differ (the server's
     * `odsCodes.1` is the page's `odsCodes`). By default a path's own name, then its parent's.
     */
    private readonly fieldFor: (path: string) => string = (path) => path,
  ) {
    host.addController(this);
  }

  hostUpdated() {
    if (!this.focusPending) return;
    this.focusPending = false;
    const summary = this.host.renderRoot.querySelector<HTMLElement>('.error-summary');
    if (summary) {
      summary.focus({ preventScroll: true });
      summary.scrollIntoView({ block: 'center' });
    }
  }

  /** Forgets every message: call when the person starts again or the page changes. */
  clear() {
    this.problems = [];
    this.headline = '';
    this.success = '';
    this.host.requestUpdate();
  }

  /** Shows a success message, clearing old problems. */
  succeed(message: string) {
    this.problems = [];
    this.headline = '';
    this.success = message;
    this.host.requestUpdate();
  }

  /** Shows problems the page found itself (a rule the browser cannot check). */
  show(headline: string, problems: Omit<Problem, 'label'>[] = []) {
    this.success = '';
    this.headline = headline;
    this.problems = problems.map((p) => ({ ...p, label: this.labelOf(p.field) }));
    this.focusPending = true;
    this.host.requestUpdate();
  }

  /**
   * Runs the browser's format checks on every control of the form (a `<form novalidate>`)
   * and shows every problem at once, with `extra` problems the page found itself (a rule
   * the browser cannot check, such as "at least one box of this group"). True when the form
   * may be sent.
   */
  check(form: HTMLFormElement, extra: Omit<Problem, 'label'>[] = []): boolean {
    const problems: Omit<Problem, 'label'>[] = [];
    for (const element of Array.from(form.elements)) {
      const control = element as HTMLInputElement;
      if (!control.name || !control.willValidate || control.validity.valid) continue;
      if (problems.some((p) => p.field === control.name)) continue;
      problems.push({
        field: control.name,
        message: this.formatMessage(control, this.labelOf(control.name, false)),
      });
    }
    for (const p of extra) if (!problems.some((q) => q.field === p.field)) problems.push(p);
    // In the order the person meets the fields.
    const position = (field: string) => {
      const control = this.control(field);
      return control ? Array.from(form.elements).indexOf(control as Element) : -1;
    };
    problems.sort((a, b) => position(a.field) - position(b.field));
    if (problems.length === 0) {
      this.clear();
      return true;
    }
    this.show(fixCount(problems.length), problems);
    return false;
  }

  /** Shows a refusal from the server, its field problems beside their fields. */
  showError(err: unknown, fallback = 'That did not work. Try again.') {
    if (!(err instanceof ApiError)) {
      this.show(fallback);
      return;
    }
    const problems = err.fieldProblems.map((p) => ({
      field: this.controlName(p.field),
      message: p.message,
    }));
    this.show(problems.length ? fixCount(problems.length) : err.message, problems);
    // Whatever the server said about the whole request is kept beside the field problems.
    if (problems.length && err.code !== 'VALIDATION') this.headline = err.message;
  }

  /** The message beside one control, if it has a problem. */
  errorFor(name: string) {
    const problem = this.problems.find((p) => p.field === name);
    return problem
      ? html`<p class="field-error" id=${`${name}-error`}><span class="visually-hidden">Error:</span> ${problem.message}</p>`
      : nothing;
  }

  /** Whether a control has a problem (for `aria-invalid`). */
  invalid(name: string): boolean {
    return this.problems.some((p) => p.field === name);
  }

  /** The `aria-describedby` value tying a control to its message, or nothing. */
  describedBy(name: string) {
    return this.invalid(name) ? `${name}-error` : nothing;
  }

  /** The summary at the top of the form: every problem, each a link to its field. */
  summary() {
    if (this.success) return html`<p class="message success" role="status">${this.success}</p>`;
    if (!this.headline) return nothing;
    return html`<div class="message error error-summary" role="alert" tabindex="-1">
      <h2 class="summary-title">${this.headline}</h2>
      ${
        this.problems.length
          ? html`<ul>${this.problems.map(
              (p) =>
                html`<li><a href=${`#${p.field}`} @click=${(e: Event) => this.focusField(e, p.field)}>${p.label}: ${p.message}</a></li>`,
            )}</ul>`
          : nothing
      }
    </div>`;
  }

  private focusField(event: Event, name: string) {
    event.preventDefault();
    const control = this.control(name);
    control?.focus();
    control?.scrollIntoView({ block: 'center' });
  }

  private control(name: string): HTMLElement | null {
    return this.host.renderRoot.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`);
  }

  /** The server's field path as one of this form's control names. */
  private controlName(path: string): string {
    const mapped = this.fieldFor(path);
    if (this.control(mapped)) return mapped;
    // `odsCodes.1` belongs to the control `odsCodes`, `documents.0` to `documents.0.type`.
    const parts = mapped.split('.');
    while (parts.length > 1) {
      parts.pop();
      const parent = parts.join('.');
      if (this.control(parent)) return parent;
    }
    return mapped;
  }

  /**
   * A control's label as shown, without its hint; with its group's name in front
   * ("Document 2: Document number") unless `withGroup` is false (for the message beside the
   * control, which sits inside its group already).
   */
  private labelOf(name: string, withGroup = true): string {
    const control = this.control(name);
    if (!control) return name;
    // A group of checkboxes or radios is named by its legend, not by one box's own label.
    const groupLegend =
      control instanceof HTMLInputElement &&
      (control.type === 'checkbox' || control.type === 'radio')
        ? control.closest('fieldset')?.querySelector('legend')
        : null;
    const label =
      groupLegend ||
      (control.id &&
        this.host.renderRoot.querySelector<HTMLLabelElement>(
          `label[for="${CSS.escape(control.id)}"]`,
        )) ||
      control.closest('label') ||
      control.closest('fieldset')?.querySelector('legend');
    if (!label) return control.getAttribute('aria-label') ?? name;
    const text = textOf(label) || name;
    if (!withGroup) return text;
    // Rows of like controls ("Document 2" of several, each with its "Document number") are
    // named by their group too, when the group asks for it.
    const rows = control.parentElement?.closest('fieldset[data-names-fields]');
    const legend = rows?.querySelector('legend');
    return legend && legend !== label ? `${textOf(legend)}: ${text}` : text;
  }

  /** The browser's verdict on one control, in our words. */
  private formatMessage(control: HTMLInputElement, label: string): string {
    const v = control.validity;
    const custom = control.dataset.error;
    if (v.valueMissing) return missingMessage(control, label);
    if (custom) return custom;
    if (v.typeMismatch && control.type === 'email')
      return 'Enter an email address like name@nhs.net';
    if (v.typeMismatch) return 'This is not in the right form';
    if (v.patternMismatch) return control.title || 'This is not in the right form';
    if (v.tooLong) return `Use at most ${control.maxLength} characters`;
    if (v.tooShort) return `Use at least ${control.minLength} characters`;
    if (v.rangeUnderflow) return `Enter ${control.min} or later`;
    if (v.rangeOverflow) return `Enter ${control.max} or earlier`;
    if (v.badInput) return 'Enter a whole date';
    return control.validationMessage || 'This is not right';
  }
}

/** An element's words as shown, without its hint or text for screen readers only. */
function textOf(element: Element): string {
  const clone = element.cloneNode(true) as HTMLElement;
  for (const hint of Array.from(clone.querySelectorAll('.hint, .visually-hidden'))) hint.remove();
  return clone.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function fixCount(n: number): string {
  return n === 1 ? 'There is a problem' : `There are ${n} problems`;
}
