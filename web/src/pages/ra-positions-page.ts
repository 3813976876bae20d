import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { type CheckOption, checkListStyles } from '../components/ra-check-list.ts';
import '../components/ra-check-list.ts';
import '../components/ra-loading.ts';
import { count, statusLabel, statusTag, systemLabels } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';

type Position = Schemas['Position'];
type System = Schemas['Position']['systems'][number];

/** The API's workgroup tree (its schema is recursive, so the generated type is opaque). */
interface WorkgroupNode {
  id: string;
  name: string;
  children: WorkgroupNode[];
}

const flatten = (nodes: WorkgroupNode[], path: string[] = []): CheckOption[] =>
  nodes.flatMap((n) => [
    { value: n.id, label: [...path, n.name].join(' › ') },
    ...flatten(n.children, [...path, n.name]),
  ]);

const message = (err: unknown, fallback: string) =>
  err instanceof ApiError ? err.message : fallback;

/** A refusal naming the open position whose name the form's clashes with. */
const nameClash = (err: ApiError) =>
  typeof err.details === 'object' && err.details !== null && 'positionId' in err.details;

/** What a position grants, by name, each with its national code: "Perform Detailed Health Record (B0380)". */
const grants = (list: readonly { code: string; name: string }[]) =>
  list.length
    ? html`<ul class="grants" data-testid="grants">${list.map((g) => html`<li>${g.name} <span class="muted">(${g.code})</span></li>`)}</ul>`
    : html`<span class="muted">None</span>`;

/** Positions a page: a trust's own catalogue is usually one page. */
const pageSize = 100;

/** The positions catalogue: RA managers and advanced agents create, edit and close positions. */
export class RaPositionsPage extends LitElement {
  static override properties = {
    odsCode: { state: true },
    editing: { state: true },
    editorOds: { state: true },
    closing: { state: true },
    notice: { state: true },
    reloads: { state: true },
    busy: { state: true },
    more: { state: true },
    cursor: { state: true },
    moreError: { state: true },
  };
  /** The organisation the list is filtered to ('' for all). */
  declare odsCode: string;
  /** The position being edited, or 'new', or null. */
  declare editing: Position | 'new' | null;
  /** The organisation whose workgroups the editor offers. */
  declare editorOds: string;
  declare closing: Position | null;
  declare notice: string;
  declare reloads: number;
  declare busy: boolean;
  /** Positions of the pages after the first, fetched by "More". */
  declare more: Position[];
  /** Where the next page starts, or null when there is none. */
  declare cursor: string | null;
  declare moreError: string;

  private readonly editorFeedback = new FormFeedback(this, (path) =>
    path.startsWith('workgroupIds') ? 'workgroupIds' : path,
  );
  private readonly closeFeedback = new FormFeedback(this);

  /** Organisations and the national catalogue, fetched together once. */
  private readonly catalogue = new Task(this, {
    args: () => [] as const,
    task: async (_args, { signal }) => {
      const [organisations, jobRoles, activities] = await Promise.all([
        ok(api.GET('/api/organisations', { signal }), signal),
        ok(api.GET('/api/job-roles', { signal }), signal),
        ok(api.GET('/api/activities', { signal }), signal),
      ]);
      return {
        organisations: organisations.items,
        jobRoles: jobRoles.items.map((r) => ({ value: r.code, code: r.code, label: r.name })),
        activities: activities.items.map((a) => ({ value: a.code, code: a.code, label: a.name })),
      };
    },
  });

  private readonly list = new Task(this, {
    args: () => [this.odsCode, this.reloads] as const,
    task: async ([odsCode], { signal }) => {
      const page = await ok(
        api.GET('/api/positions', {
          params: { query: { ...(odsCode ? { odsCode } : {}), limit: pageSize } },
          signal,
        }),
        signal,
      );
      this.more = [];
      this.cursor = page.nextCursor;
      this.moreError = '';
      return page;
    },
  });

  private readonly workgroups = new Task(this, {
    args: () => [this.editorOds] as const,
    task: async ([ods], { signal }) => {
      if (!ods) return [];
      const tree = await ok(
        api.GET('/api/organisations/{ods}/workgroups', {
          params: { path: { ods } },
          signal,
        }),
        signal,
      );
      return flatten(tree.items as unknown as WorkgroupNode[]);
    },
  });

  static override styles = [
    shared,
    checkListStyles,
    css`
      .columns {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(18rem, 100%), 1fr));
        gap: 0 1.5rem;
      }
      fieldset.systems {
        border: 1px solid var(--ra-border);
        border-radius: 4px;
        margin: 0.75rem 0 0;
      }
      fieldset.systems legend {
        font-weight: 600;
      }
      .checks label {
        display: inline-flex;
        gap: 0.35rem;
        font-weight: 400;
        margin-right: 1rem;
      }
      #name,
      #reason {
        width: 100%;
      }
      ul.grants {
        margin: 0;
        padding-left: 1rem;
      }
    `,
  ];

  constructor() {
    super();
    this.odsCode = '';
    this.editing = null;
    this.editorOds = '';
    this.closing = null;
    this.notice = '';
    this.reloads = 0;
    this.busy = false;
    this.more = [];
    this.cursor = null;
    this.moreError = '';
  }

  private async loadMore() {
    if (!this.cursor) return;
    this.moreError = '';
    try {
      const page = await ok(
        api.GET('/api/positions', {
          params: {
            query: {
              ...(this.odsCode ? { odsCode: this.odsCode } : {}),
              limit: pageSize,
              cursor: this.cursor,
            },
          },
        }),
      );
      this.more = [...this.more, ...page.items];
      this.cursor = page.nextCursor;
    } catch (err) {
      this.moreError = message(err, 'More could not be loaded.');
    }
  }

  private async focusOn(selector: string) {
    await this.updateComplete;
    const target = this.renderRoot.querySelector<HTMLElement>(selector);
    target?.focus({ preventScroll: true });
    target?.scrollIntoView({ block: 'start' });
  }

  private async openEditor(target: Position | 'new') {
    this.editing = target;
    this.closing = null;
    this.notice = '';
    this.editorFeedback.clear();
    const organisations = this.catalogue.value?.organisations ?? [];
    this.editorOds =
      target === 'new' ? this.odsCode || organisations[0]?.odsCode || '' : target.odsCode;
    await this.focusOn('#editor-h');
  }

  private async openClose(target: Position) {
    this.closing = target;
    this.editing = null;
    this.notice = '';
    this.closeFeedback.clear();
    await this.focusOn('#close-h');
  }

  private async done(notice: string) {
    this.editing = null;
    this.closing = null;
    this.notice = notice;
    this.reloads++;
    await this.focusOn('#notice');
  }

  private async save(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const many = (name: string) => data.getAll(name).map(String);
    const body = {
      name: String(data.get('name') ?? '').trim(),
      jobRoles: many('jobRoles'),
      activities: many('activities'),
      workgroupIds: many('workgroupIds'),
      systems: many('systems') as System[],
      assignable: data.get('assignable') === 'on',
    };
    const extra = body.jobRoles.length
      ? []
      : [{ field: 'jobRoles', message: 'Choose at least one job role' }];
    if (!this.editorFeedback.check(form, extra)) return;
    this.busy = true;
    try {
      if (this.editing === 'new') {
        const odsCode = String(data.get('odsCode') ?? '');
        await ok(api.POST('/api/positions', { body: { ...body, odsCode } }));
        await this.done(`Position "${body.name}" created.`);
      } else if (this.editing) {
        await ok(
          api.PATCH('/api/positions/{id}', {
            params: { path: { id: this.editing.id } },
            body,
          }),
        );
        await this.done(`Position "${body.name}" saved.`);
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CONFLICT' && nameClash(err)) {
        // Another open position of the organisation has this name: a problem of the name.
        this.editorFeedback.show('There is a problem', [{ field: 'name', message: err.message }]);
        return;
      }
      this.editorFeedback.showError(err, 'The position was not saved. Try again.');
    } finally {
      this.busy = false;
    }
  }

  private async close(event: SubmitEvent) {
    event.preventDefault();
    const closing = this.closing;
    const form = event.target as HTMLFormElement;
    if (!closing || !this.closeFeedback.check(form)) return;
    const reason = String(new FormData(form).get('reason') ?? '').trim();
    this.busy = true;
    try {
      const result = await ok(
        api.POST('/api/positions/{id}/close', {
          params: { path: { id: closing.id } },
          body: { reason },
        }),
      );
      await this.done(
        `"${closing.name}" closed; ${count(result.assignmentsEnded, 'assignment')} ended.`,
      );
    } catch (err) {
      this.closeFeedback.showError(err, 'The position was not closed. Try again.');
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`
      <h1>Positions</h1>
      ${this.catalogue.render({
        pending: () => html`<ra-loading label="Loading the catalogue…"></ra-loading>`,
        error: (err) =>
          html`<div class="message error" role="alert"><p>${message(err, 'The catalogue could not be loaded.')}</p>
            <button type="button" class="secondary" @click=${() => this.catalogue.run()}>Try again</button></div>`,
        complete: (catalogue) => this.renderPage(catalogue.organisations),
      })}
    `;
  }

  private renderPage(organisations: Schemas['Organisation'][]) {
    return html`
      ${
        this.notice
          ? html`<p id="notice" class="message success" role="status" tabindex="-1">${this.notice}</p>`
          : nothing
      }
      <div class="actions">
        <label for="org-filter">Organisation</label>
        <select id="org-filter" @change=${(e: Event) => {
          this.odsCode = (e.target as HTMLSelectElement).value;
        }}>
          <option value="">All</option>
          ${organisations.map((o) => html`<option value=${o.odsCode} ?selected=${o.odsCode === this.odsCode}>${o.odsCode} ${o.name}</option>`)}
        </select>
        <button type="button" @click=${() => this.openEditor('new')}>New position</button>
      </div>
      ${this.editing ? this.renderEditor(this.editing, organisations) : nothing}
      ${this.closing ? this.renderClose(this.closing) : nothing}
      ${this.list.render({
        pending: () => html`<ra-loading label="Loading positions…"></ra-loading>`,
        error: (err) =>
          html`<div class="message error" role="alert"><p>${message(err, 'The positions could not be loaded.')}</p>
            <button type="button" class="secondary" @click=${() => this.list.run()}>Try again</button></div>`,
        complete: (page) => html`${this.renderList([...page.items, ...this.more])}
          ${this.moreError ? html`<p class="message error" role="alert">${this.moreError}</p>` : nothing}
          ${this.cursor ? html`<div class="actions"><button class="secondary" type="button" @click=${this.loadMore}>More</button></div>` : nothing}`,
      })}
    `;
  }

  private renderList(positions: Position[]) {
    return html`<p class="muted" data-testid="position-count">${count(positions.length, 'position')}${this.cursor ? ' so far' : ''}</p>
      <table class="stack">
        <thead><tr><th scope="col">Position</th><th scope="col">Job roles</th><th scope="col">Activities</th><th scope="col">Systems</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${positions.map(
          (p) => html`<tr data-testid="position">
            <td data-label="Position"><strong>${p.name}</strong><br /><span class="muted">${p.odsCode}${p.assignable ? ' · assignable by sponsors' : ''}</span></td>
            <td data-label="Job roles">${grants(p.jobRoles)}</td>
            <td data-label="Activities">${grants(p.activities)}</td>
            <td data-label="Systems">${p.systems.map((s) => systemLabels[s] ?? s).join(', ')}</td>
            <td data-label="Status"><span class="tag ${statusTag[p.status] ?? ''}">${statusLabel(p.status)}</span></td>
            <td>${
              p.status === 'active'
                ? html`<div class="actions"><button type="button" class="secondary" aria-label="Edit ${p.name}" @click=${() => this.openEditor(p)}>Edit</button>
                  <button type="button" class="secondary" aria-label="Close ${p.name}" @click=${() => this.openClose(p)}>Close</button></div>`
                : nothing
            }</td>
          </tr>`,
        )}</tbody>
      </table>`;
  }

  private renderEditor(target: Position | 'new', organisations: Schemas['Organisation'][]) {
    const p = target === 'new' ? null : target;
    const f = this.editorFeedback;
    const catalogue = this.catalogue.value;
    const aria = (name: string) => ({
      invalid: f.invalid(name) ? 'true' : 'false',
      describedBy: f.describedBy(name),
    });
    const workgroups = this.workgroups.value ?? [];
    return html`<form class="card" novalidate @submit=${this.save} aria-labelledby="editor-h">
      <h2 id="editor-h" tabindex="-1">${p ? `Edit ${p.name}` : 'New position'}</h2>
      ${f.summary()}
      ${
        p
          ? nothing
          : html`<label for="odsCode">Organisation</label>
            <select id="odsCode" name="odsCode" required
              aria-invalid=${aria('odsCode').invalid} aria-describedby=${aria('odsCode').describedBy}
              @change=${(e: Event) => {
                this.editorOds = (e.target as HTMLSelectElement).value;
              }}>
              ${organisations.map((o) => html`<option value=${o.odsCode} ?selected=${o.odsCode === this.editorOds}>${o.odsCode} ${o.name}</option>`)}
            </select>
            ${f.errorFor('odsCode')}`
      }
      <label for="name">Name</label>
      <input id="name" name="name" required minlength="2" maxlength="120" .value=${p?.name ?? ''}
        aria-invalid=${aria('name').invalid} aria-describedby=${aria('name').describedBy} />
      ${f.errorFor('name')}
      <div class="columns">
        <ra-check-list legend="Job roles" field="jobRoles" hint="At least one"
          .options=${catalogue?.jobRoles ?? []} .value=${p?.jobRoles.map((r) => r.code) ?? []}
          .error=${f.errorFor('jobRoles')} ?invalid=${f.invalid('jobRoles')}></ra-check-list>
        <ra-check-list legend="Activities" field="activities"
          .options=${catalogue?.activities ?? []} .value=${p?.activities.map((a) => a.code) ?? []}
          .error=${f.errorFor('activities')} ?invalid=${f.invalid('activities')}></ra-check-list>
        <ra-check-list legend="Workgroups" field="workgroupIds"
          hint=${`Of ${this.editorOds || 'the organisation'}`}
          .options=${workgroups} .value=${p?.workgroups.map((w) => w.id) ?? []}
          .error=${f.errorFor('workgroupIds')} ?invalid=${f.invalid('workgroupIds')}></ra-check-list>
      </div>
      <fieldset class="checks systems" aria-describedby=${aria('systems').describedBy}><legend>Clinical systems it opens</legend>
        ${f.errorFor('systems')}
        ${Object.entries(systemLabels).map(([value, label]) => html`<label><input type="checkbox" name="systems" value=${value} ?checked=${!!p?.systems.includes(value as System)} /> ${label}</label>`)}
      </fieldset>
      <div class="checks"><label><input type="checkbox" name="assignable" ?checked=${!!p?.assignable} /> Sponsors may assign it directly, without a request</label></div>
      ${f.errorFor('assignable')}
      <div class="actions"><button type="submit" ?disabled=${this.busy}>${p ? 'Save' : 'Create position'}</button>
        <button type="button" class="secondary" @click=${() => {
          this.editing = null;
        }}>Cancel</button></div>
    </form>`;
  }

  private renderClose(p: Position) {
    const f = this.closeFeedback;
    return html`<form class="card" novalidate @submit=${this.close} aria-labelledby="close-h">
      <h2 id="close-h" tabindex="-1">Close ${p.name}</h2>
      ${f.summary()}
      <p>Closing ends every assignment of this position today. People keep their other positions.</p>
      <label for="reason">Reason <span class="hint">Recorded with each ended assignment</span></label>
      <input id="reason" name="reason" required minlength="3" maxlength="500"
        aria-invalid=${f.invalid('reason') ? 'true' : 'false'} aria-describedby=${f.describedBy('reason')} />
      ${f.errorFor('reason')}
      <div class="actions"><button type="submit" class="danger" ?disabled=${this.busy}>Close position</button>
        <button type="button" class="secondary" @click=${() => {
          this.closing = null;
        }}>Cancel</button></div>
    </form>`;
  }
}
customElements.define('ra-positions-page', RaPositionsPage);
