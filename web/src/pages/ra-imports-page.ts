import { ContextConsumer } from '@lit/context';
import { css, html, LitElement, nothing } from 'lit';
import { api, ok, type Schemas } from '../api/client.ts';
import '../components/ra-import-run.ts';
import '../components/ra-loading.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { can, sessionContext } from '../session.ts';
import { shared } from '../styles.ts';

type Import = Schemas['Import'];
type Reason = Schemas['CardCancellation']['reason'];

const esrHeader =
  'employee_number,family_name,given_name,date_of_birth,work_email,ods_code,job_role_code,start_date,end_date';

const reasons: { value: Reason; label: string }[] = [
  { value: 'left', label: 'Left the organisation' },
  { value: 'lost', label: 'Lost' },
  { value: 'stolen', label: 'Stolen' },
  { value: 'damaged', label: 'Damaged' },
  { value: 'replaced', label: 'Replaced' },
];

/**
 * Imports: an ESR staff file (uploaded as it is, streamed to the server), and a list of
 * cards to cancel. Each is checked first (a dry run, line by line), then applied with a
 * progress bar, then summarised (ra-import-run).
 */
export class RaImportsPage extends LitElement {
  static override properties = {
    esr: { state: true },
    cancellation: { state: true },
    checking: { state: true },
  };
  declare esr: Import | null;
  declare cancellation: Import | null;
  /**
   * Which form the server is checking: a large ESR file takes a while, and until the dry
   * run comes back the page says so and the button waits.
   */
  declare checking: 'esr' | 'cancellation' | null;
  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  private esrFeedback = new FormFeedback(this);
  private cancelFeedback = new FormFeedback(this, (path) => (path === 'text' ? 'serials' : path));

  static override styles = [
    shared,
    css`
      code {
        overflow-wrap: anywhere;
      }
      textarea,
      select,
      input {
        width: 100%;
      }
    `,
  ];

  constructor() {
    super();
    this.esr = null;
    this.cancellation = null;
    this.checking = null;
  }

  private async checkEsr(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    this.cancelFeedback.clear();
    const file = (form.elements.namedItem('file') as HTMLInputElement).files?.[0];
    const extra = file ? [] : [{ field: 'file', message: 'Choose the ESR file (CSV)' }];
    if (!this.esrFeedback.check(form, extra) || !file) return;
    this.esr = null;
    this.checking = 'esr';
    try {
      // The file goes as it is: the server reads it as it streams in.
      this.esr = await ok(
        api.POST('/api/esr-imports', {
          params: { query: { fileName: file.name } },
          body: file as unknown as string,
          bodySerializer: (body: unknown) => body as BodyInit,
          headers: { 'content-type': 'text/csv' },
        }),
      );
      this.esrFeedback.succeed('Checked: nothing is changed until you apply it.');
    } catch (err) {
      this.esrFeedback.showError(err, 'The file was not checked. Try again.');
    } finally {
      this.checking = null;
    }
  }

  private async checkCancellation(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    this.esrFeedback.clear();
    if (!this.cancelFeedback.check(form)) return;
    const data = new FormData(form);
    this.cancellation = null;
    this.checking = 'cancellation';
    try {
      this.cancellation = await ok(
        api.POST('/api/card-cancellations', {
          body: {
            fileName: 'pasted list',
            text: String(data.get('serials') ?? ''),
            reason: String(data.get('reason') ?? '') as Reason,
          },
        }),
      );
      this.cancelFeedback.succeed('Checked: no card is cancelled until you apply it.');
    } catch (err) {
      this.cancelFeedback.showError(err, 'The list was not checked. Try again.');
    } finally {
      this.checking = null;
    }
  }

  override render() {
    const me = this.session.value;
    const f = this.esrFeedback;
    return html`<h1>Imports</h1>
      <form class="card" novalidate @submit=${this.checkEsr} aria-labelledby="esr-h">
        <h2 id="esr-h">Staff records from ESR</h2>
        ${f.summary()}
        <p class="muted">A CSV file (UTF-8) whose first line is
          <code>${esrHeader}</code>. New staff are registered pending their identity check;
          leavers' positions end and their cards are flagged for return. Importing the same
          file again changes nothing.</p>
        <label for="file">ESR file</label>
        <input id="file" name="file" type="file" accept=".csv,text/csv" required
          aria-invalid=${f.invalid('file') ? 'true' : 'false'} aria-describedby=${f.describedBy('file')} />
        ${f.errorFor('file')}
        <div class="actions"><button type="submit" ?disabled=${this.checking !== null}>Check the file</button></div>
        ${this.checking === 'esr' ? html`<ra-loading label="Checking the file…"></ra-loading>` : nothing}
      </form>
      ${this.esr ? html`<ra-import-run .value=${this.esr} @applying=${() => this.esrFeedback.clear()}></ra-import-run>` : nothing}
      ${can(me, 'cards:cancel-batch') ? this.renderCancellation() : nothing}`;
  }

  private renderCancellation() {
    const f = this.cancelFeedback;
    return html`<form class="card" novalidate @submit=${this.checkCancellation} aria-labelledby="cancel-h">
        <h2 id="cancel-h">Cancel cards from a list</h2>
        ${f.summary()}
        <label for="serials">Card serials, one on each line</label>
        <textarea id="serials" name="serials" rows="5" required spellcheck="false" autocomplete="off"
          aria-invalid=${f.invalid('serials') ? 'true' : 'false'} aria-describedby=${f.describedBy('serials')}></textarea>
        ${f.errorFor('serials')}
        <label for="reason">Reason</label>
        <select id="reason" name="reason" required
          aria-invalid=${f.invalid('reason') ? 'true' : 'false'} aria-describedby=${f.describedBy('reason')}>
          <option value="">Choose a reason</option>
          ${reasons.map((r) => html`<option value=${r.value}>${r.label}</option>`)}
        </select>
        ${f.errorFor('reason')}
        <div class="actions"><button type="submit" ?disabled=${this.checking !== null}>Check the list</button></div>
        ${this.checking === 'cancellation' ? html`<ra-loading label="Checking the list…"></ra-loading>` : nothing}
      </form>
      ${this.cancellation ? html`<ra-import-run .value=${this.cancellation} @applying=${() => this.cancelFeedback.clear()}></ra-import-run>` : nothing}`;
  }
}
customElements.define('ra-imports-page', RaImportsPage);
