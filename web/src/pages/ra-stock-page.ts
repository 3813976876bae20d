import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import '../components/ra-loading.ts';
import { count } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';

type CardStock = Schemas['CardStock'];
type CardLocation = Schemas['CardLocation'];
type Counts = Schemas['CardStateCounts'];
type CardImport = Schemas['CardImport'];
type ImportBody = Schemas['ImportCards'];

/** The columns of the counts: the shelf's states, then the issued and cancelled cards it supplied. */
const columns: { label: string; of: (c: Counts) => number }[] = [
  { label: 'In stock', of: (c) => c.in_stock },
  { label: 'Returned', of: (c) => c.returned },
  { label: 'Destroyed', of: (c) => c.destroyed },
  { label: 'Issued', of: (c) => c.issued_locked + c.active + c.blocked + c.suspended },
  { label: 'Cancelled', of: (c) => c.cancelled },
];

const problem = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

/** How many lines of `text` hold a card, as the server reads them (blank lines and a CSV heading aside). */
function cardLines(text: string, format: ImportBody['format']): number {
  const lines = text.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '');
  const heading = format === 'csv' && /^\s*"?\s*(card[\s_-]*)?serial/i.test(lines[0] ?? '');
  return lines.length - (heading ? 1 : 0);
}

/**
 * Card stock: the blank and returned cards at each location, counted by state; import blank
 * cards by serial (pasted, or a CSV file read here and sent as text), move cards between
 * locations, add a location. Return, clear and destroy are done on a card's own page.
 */
export class RaStockPage extends LitElement {
  static override properties = {
    retry: { state: true },
    imported: { state: true },
  };
  /** The import that failed on some lines, which the person may send again taking the good ones. */
  declare retry: { body: ImportBody; good: number } | null;
  /** The last import done, with the lines it left out. */
  declare imported: CardImport | null;
  /** Whether the import being shown came from a file (its problems go beside the file input). */
  private fromFile = false;

  private importFeedback = new FormFeedback(this, (path) =>
    path === 'text' && this.fromFile ? 'file' : path,
  );
  private moveFeedback = new FormFeedback(this, (path) =>
    path.startsWith('serials') ? 'moveSerials' : path === 'locationId' ? 'moveLocationId' : path,
  );
  private locationFeedback = new FormFeedback(this, (path) =>
    path === 'name' ? 'locationName' : path === 'odsCode' ? 'locationOds' : path,
  );

  private data = new Task(this, {
    args: () => [] as const,
    task: async (_args, { signal }) => ok(api.GET('/api/card-stock', { signal }), signal),
  });

  static override styles = [
    shared,
    css`
      input,
      select,
      textarea {
        width: 100%;
      }
      textarea {
        font-family: ui-monospace, monospace;
        min-height: 8rem;
      }
      .columns {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
        gap: 0 1rem;
      }
      td.number,
      th.number {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      tfoot td {
        font-weight: 600;
      }
      .not-imported li {
        overflow-wrap: anywhere;
      }
      @media (max-width: 40rem) {
        td.number {
          text-align: left;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.retry = null;
    this.imported = null;
  }

  /** Only one form speaks at a time: the summary that takes focus is the one just sent. */
  private quiet(except: FormFeedback) {
    for (const f of [this.importFeedback, this.moveFeedback, this.locationFeedback]) {
      if (f !== except) f.clear();
    }
  }

  private async importCards(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    this.quiet(this.importFeedback);
    this.retry = null;
    this.imported = null;
    const fileInput = form.elements.namedItem('file') as HTMLInputElement;
    const file = fileInput.files?.[0];
    const pasted = (form.elements.namedItem('text') as HTMLTextAreaElement).value;
    const extra: { field: string; message: string }[] = [];
    if (file && pasted.trim()) {
      extra.push({ field: 'text', message: 'Paste a list or choose a file, not both' });
    } else if (!file && !pasted.trim()) {
      extra.push({
        field: 'text',
        message: 'Paste the serials, one card a line, or choose a CSV file',
      });
    }
    if (!this.importFeedback.check(form, extra)) return;
    this.fromFile = !!file;
    const body: ImportBody = {
      locationId: (form.elements.namedItem('locationId') as HTMLSelectElement).value,
      text: file ? await file.text() : pasted,
      format: file ? 'csv' : 'list',
      acceptValidLines: false,
    };
    await this.sendImport(form, body);
  }

  private async sendImport(form: HTMLFormElement | null, body: ImportBody) {
    try {
      const result = await ok(api.POST('/api/card-stock/imports', { body }));
      this.retry = null;
      this.imported = result;
      const where = `${result.location.name} (${result.location.organisation.odsCode})`;
      this.importFeedback.succeed(
        `${count(result.imported, 'card')} imported into ${where}.${
          result.rejected.length
            ? ` ${count(result.rejected.length, 'line')} not imported: listed below.`
            : ''
        }`,
      );
      (form ?? this.renderRoot.querySelector<HTMLFormElement>('#import-form'))?.reset();
      void this.data.run();
    } catch (err) {
      const lines =
        err instanceof ApiError
          ? err.fieldProblems.filter((p) => typeof (p as { line?: unknown }).line === 'number')
          : [];
      const good = cardLines(body.text, body.format) - lines.length;
      this.retry = lines.length && good > 0 && !body.acceptValidLines ? { body, good } : null;
      this.importFeedback.showError(err, 'The cards were not imported. Try again.');
    }
  }

  private async importGoodLines() {
    if (!this.retry) return;
    await this.sendImport(null, { ...this.retry.body, acceptValidLines: true });
  }

  private async moveCards(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    this.quiet(this.moveFeedback);
    if (!this.moveFeedback.check(form)) return;
    const data = new FormData(form);
    const serials = String(data.get('moveSerials') ?? '')
      .split(/[\s,;]+/)
      .filter((s) => s !== '');
    try {
      const moved = await ok(
        api.POST('/api/card-stock/moves', {
          body: { serials, locationId: String(data.get('moveLocationId') ?? '') },
        }),
      );
      const where = `${moved.location.name} (${moved.location.organisation.odsCode})`;
      this.moveFeedback.succeed(
        `${count(moved.moved, 'card')} moved to ${where}.${
          moved.unchanged
            ? ` ${count(moved.unchanged, 'card was', 'cards were')} there already.`
            : ''
        }`,
      );
      form.reset();
      void this.data.run();
    } catch (err) {
      this.moveFeedback.showError(err, 'The cards were not moved. Try again.');
    }
  }

  private async addLocation(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    this.quiet(this.locationFeedback);
    if (!this.locationFeedback.check(form)) return;
    const data = new FormData(form);
    try {
      const added = await ok(
        api.POST('/api/card-locations', {
          body: {
            odsCode: String(data.get('locationOds') ?? ''),
            name: String(data.get('locationName') ?? ''),
          },
        }),
      );
      this.locationFeedback.succeed(
        `${added.name} added to ${added.organisation.odsCode}: cards can be imported into it.`,
      );
      form.reset();
      void this.data.run();
    } catch (err) {
      this.locationFeedback.showError(err, 'The location was not added. Try again.');
    }
  }

  override render() {
    const data = this.data.value;
    return html`
      <h1>Card stock</h1>
      <p class="muted">Blank and returned cards at each location, and the cards they supplied.
        Return, clear or destroy a card on its own page.</p>
      ${
        data
          ? html`${this.renderCounts(data)}${this.renderImport(data)}${this.renderMove(data)}${this.renderAddLocation(data)}`
          : this.data.render({
              pending: () => html`<ra-loading label="Loading card stock…"></ra-loading>`,
              error: (err) =>
                html`<p class="message error" role="alert">${problem(err, 'The card stock could not be loaded.')}</p>`,
            })
      }
    `;
  }

  private renderCounts(data: CardStock) {
    if (!data.locations.length) {
      return html`<p class="muted" data-testid="no-locations">No card locations yet. Add one below, then import cards into it.</p>`;
    }
    const cells = (counts: Counts, total: number) =>
      html`${columns.map(
        (c) =>
          html`<td class="number" data-label=${c.label}>${c.of(counts).toLocaleString('en-GB')}</td>`,
      )}<td class="number" data-label="Total">${total.toLocaleString('en-GB')}</td>`;
    const total = Object.values(data.totals).reduce((a, b) => a + b, 0);
    return html`<h2 id="counts-h">Cards by location</h2>
      <table class="stack" aria-labelledby="counts-h" data-testid="stock-counts">
        <thead><tr><th scope="col">Location</th><th scope="col">Organisation</th>${columns.map(
          (c) => html`<th scope="col" class="number">${c.label}</th>`,
        )}<th scope="col" class="number">Total</th></tr></thead>
        <tbody>${data.locations.map(
          (l) => html`<tr data-testid="stock-location">
            <td data-label="Location"><strong>${l.location.name}</strong></td>
            <td data-label="Organisation"><abbr title=${l.location.organisation.name}>${l.location.organisation.odsCode}</abbr></td>
            ${cells(l.counts, l.total)}
          </tr>`,
        )}</tbody>
        ${
          data.locations.length > 1
            ? html`<tfoot><tr data-testid="stock-totals"><td data-label="Location">All locations</td><td></td>${cells(data.totals, total)}</tr></tfoot>`
            : nothing
        }
      </table>`;
  }

  private control(feedback: FormFeedback, name: string) {
    return {
      invalid: feedback.invalid(name) ? 'true' : 'false',
      describedBy: feedback.describedBy(name),
    };
  }

  private locationOptions(locations: CardLocation[]) {
    return html`<option value="">Choose a location</option>
      ${locations.map((l) => html`<option value=${l.id}>${l.name} (${l.organisation.odsCode})</option>`)}`;
  }

  private renderImport(data: CardStock) {
    if (!data.locations.length) return nothing;
    const f = this.importFeedback;
    const location = this.control(f, 'locationId');
    const text = this.control(f, 'text');
    const file = this.control(f, 'file');
    const locations = data.locations.map((l) => l.location);
    return html`<form id="import-form" class="card" novalidate @submit=${this.importCards}
        @input=${() => {
          this.retry = null;
        }} aria-labelledby="import-h">
      <h2 id="import-h">Import blank cards</h2>
      ${f.summary()}
      ${
        this.retry
          ? html`<div class="actions"><button type="button" class="secondary" @click=${this.importGoodLines}>
              Import the ${count(this.retry.good, 'good line')} anyway</button></div>`
          : nothing
      }
      ${this.imported?.rejected.length ? this.renderNotImported(this.imported) : nothing}
      <label for="locationId">Location</label>
      <select id="locationId" name="locationId" required
        aria-invalid=${location.invalid} aria-describedby=${location.describedBy}>
        ${this.locationOptions(locations)}
      </select>
      ${f.errorFor('locationId')}
      <label for="text">Serials, one card a line
        <span class="hint">After a serial, a comma and the card's management key (hex) if it is not the manufacturer's default.</span></label>
      <textarea id="text" name="text" rows="6" spellcheck="false" autocomplete="off"
        aria-invalid=${text.invalid} aria-describedby=${text.describedBy}></textarea>
      ${f.errorFor('text')}
      <label for="file">Or a CSV file
        <span class="hint">serial,management_key on each line; a heading line is allowed.</span></label>
      <input id="file" name="file" type="file" accept=".csv,.txt,text/csv,text/plain"
        aria-invalid=${file.invalid} aria-describedby=${file.describedBy} />
      ${f.errorFor('file')}
      <div class="actions"><button type="submit">Import cards</button></div>
    </form>`;
  }

  private renderNotImported(result: CardImport) {
    return html`<section class="not-imported" aria-labelledby="not-imported-h" data-testid="not-imported">
      <h3 id="not-imported-h">${count(result.rejected.length, 'line')} not imported</h3>
      <ul>${result.rejected.map((r) => html`<li>${r.message}</li>`)}</ul>
    </section>`;
  }

  private renderMove(data: CardStock) {
    if (!data.locations.length) return nothing;
    const f = this.moveFeedback;
    const serials = this.control(f, 'moveSerials');
    const location = this.control(f, 'moveLocationId');
    return html`<form class="card" novalidate @submit=${this.moveCards} aria-labelledby="move-h">
      <h2 id="move-h">Move cards</h2>
      ${f.summary()}
      <p class="muted">Cards in stock or returned only.</p>
      <div class="columns">
        <div><label for="moveSerials">Serials, one card a line</label>
          <textarea id="moveSerials" name="moveSerials" rows="3" required spellcheck="false"
            autocomplete="off" aria-invalid=${serials.invalid} aria-describedby=${serials.describedBy}></textarea>
          ${f.errorFor('moveSerials')}</div>
        <div><label for="moveLocationId">To location</label>
          <select id="moveLocationId" name="moveLocationId" required
            aria-invalid=${location.invalid} aria-describedby=${location.describedBy}>
            ${this.locationOptions(data.locations.map((l) => l.location))}
          </select>
          ${f.errorFor('moveLocationId')}</div>
      </div>
      <div class="actions"><button type="submit">Move cards</button></div>
    </form>`;
  }

  private renderAddLocation(data: CardStock) {
    if (!data.organisations.length) return nothing;
    const f = this.locationFeedback;
    const org = this.control(f, 'locationOds');
    const name = this.control(f, 'locationName');
    return html`<form class="card" novalidate @submit=${this.addLocation} aria-labelledby="location-h">
      <h2 id="location-h">Add a location</h2>
      ${f.summary()}
      <div class="columns">
        <div><label for="locationOds">Organisation</label>
          <select id="locationOds" name="locationOds" required
            aria-invalid=${org.invalid} aria-describedby=${org.describedBy}>
            <option value="">Choose an organisation</option>
            ${data.organisations.map((o) => html`<option value=${o.odsCode}>${o.odsCode} ${o.name}</option>`)}
          </select>
          ${f.errorFor('locationOds')}</div>
        <div><label for="locationName">Name</label>
          <input id="locationName" name="locationName" required minlength="2" maxlength="100"
            placeholder="RA office safe" aria-invalid=${name.invalid} aria-describedby=${name.describedBy} />
          ${f.errorFor('locationName')}</div>
      </div>
      <div class="actions"><button type="submit">Add location</button></div>
    </form>`;
  }
}
customElements.define('ra-stock-page', RaStockPage);
