import { css, html, LitElement } from 'lit';
import { ApiError } from '../api/client.ts';
import { legacyApi as api, query } from '../api/legacy-client.ts';
import type { Position } from '../api/types.ts';
import { statusTag, systemLabels, words } from '../format.ts';
import { shared } from '../styles.ts';

interface Entry {
  code: string;
  name: string;
}
interface Organisation {
  odsCode: string;
  name: string;
}
interface WorkgroupNode {
  id: string;
  name: string;
  children: WorkgroupNode[];
}

const flatten = (nodes: WorkgroupNode[], depth = 0): { id: string; label: string }[] =>
  nodes.flatMap((n) => [
    { id: n.id, label: `${'— '.repeat(depth)}${n.name}` },
    ...flatten(n.children, depth + 1),
  ]);

/** The positions catalogue: RA managers and advanced agents create, edit and close positions. */
export class RaPositionsPage extends LitElement {
  static override properties = {
    positions: { state: true },
    organisations: { state: true },
    odsCode: { state: true },
    editing: { state: true },
    closing: { state: true },
    workgroups: { state: true },
    error: { state: true },
    notice: { state: true },
  };
  declare positions: Position[];
  declare organisations: Organisation[];
  declare odsCode: string;
  /** The position being edited, or 'new', or null. */
  declare editing: Position | 'new' | null;
  declare closing: Position | null;
  declare workgroups: { id: string; label: string }[];
  declare error: string;
  declare notice: string;
  private jobRoles: Entry[] = [];
  private activities: Entry[] = [];

  static override styles = [
    shared,
    css`
      .columns {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr));
        gap: 0 1.5rem;
      }
      select[multiple] {
        width: 100%;
        min-height: 9rem;
      }
      .checks label {
        display: inline-flex;
        gap: 0.35rem;
        font-weight: 400;
        margin-right: 1rem;
      }
      #name {
        width: 100%;
      }
    `,
  ];

  constructor() {
    super();
    this.positions = [];
    this.organisations = [];
    this.odsCode = '';
    this.editing = null;
    this.closing = null;
    this.workgroups = [];
    this.error = '';
    this.notice = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.start();
  }

  private async start() {
    try {
      const [orgs, roles, acts] = await Promise.all([
        api.get<{ items: Organisation[] }>('/api/organisations'),
        api.get<{ items: Entry[] }>('/api/job-roles'),
        api.get<{ items: Entry[] }>('/api/activities'),
      ]);
      this.organisations = orgs.items;
      this.jobRoles = roles.items;
      this.activities = acts.items;
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The catalogue could not be loaded.';
    }
  }

  private async load() {
    this.positions = (
      await api.get<{ items: Position[] }>(`/api/positions${query({ odsCode: this.odsCode })}`)
    ).items;
  }

  private async openEditor(target: Position | 'new') {
    this.editing = target;
    this.closing = null;
    this.error = '';
    const ods = target === 'new' ? this.odsCode || this.organisations[0]?.odsCode : target.odsCode;
    if (ods) await this.loadWorkgroups(ods);
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('#editor-h')?.focus();
  }

  private async loadWorkgroups(ods: string) {
    const tree = await api.get<{ items: WorkgroupNode[] }>(`/api/organisations/${ods}/workgroups`);
    this.workgroups = flatten(tree.items);
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
      systems: many('systems'),
      assignable: data.get('assignable') === 'on',
    };
    try {
      if (this.editing === 'new') {
        await api.post('/api/positions', { ...body, odsCode: String(data.get('odsCode') ?? '') });
        this.notice = `Position "${body.name}" created.`;
      } else if (this.editing) {
        await api.patch(`/api/positions/${this.editing.id}`, body);
        this.notice = `Position "${body.name}" saved.`;
      }
      this.editing = null;
      this.error = '';
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The position was not saved.';
    }
  }

  private async close(event: SubmitEvent) {
    event.preventDefault();
    if (!this.closing) return;
    const reason = String(new FormData(event.target as HTMLFormElement).get('reason') ?? '').trim();
    try {
      const result = await api.post<{ assignmentsEnded: number }>(
        `/api/positions/${this.closing.id}/close`,
        { reason },
      );
      this.notice = `"${this.closing.name}" closed; ${result.assignmentsEnded} assignment${result.assignmentsEnded === 1 ? '' : 's'} ended.`;
      this.closing = null;
      this.error = '';
      await this.load();
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : 'The position was not closed.';
    }
  }

  override render() {
    return html`
      <h1>Positions</h1>
      <div role="status" aria-live="polite">${this.notice ? html`<p class="message success">${this.notice}</p>` : ''}</div>
      <div role="alert">${this.error ? html`<p class="message error">${this.error}</p>` : ''}</div>
      <div class="actions">
        <label for="org-filter">Organisation</label>
        <select id="org-filter" @change=${(e: Event) => {
          this.odsCode = (e.target as HTMLSelectElement).value;
          void this.load();
        }}>
          <option value="">All</option>
          ${this.organisations.map((o) => html`<option value=${o.odsCode}>${o.odsCode} ${o.name}</option>`)}
        </select>
        <button type="button" @click=${() => this.openEditor('new')}>New position</button>
      </div>
      ${this.editing ? this.renderEditor(this.editing) : ''}
      ${this.closing ? this.renderClose(this.closing) : ''}
      <table>
        <thead><tr><th scope="col">Position</th><th scope="col">Job roles</th><th scope="col">Activities</th><th scope="col">Systems</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${this.positions.map(
          (p) => html`<tr data-testid="position">
            <td><strong>${p.name}</strong><br /><span class="muted">${p.odsCode}${p.assignable ? ' · assignable by sponsors' : ''}</span></td>
            <td>${p.jobRoles.map((r) => html`<abbr title=${r.name}>${r.code}</abbr> `)}</td>
            <td>${p.activities.map((a) => html`<abbr title=${a.name}>${a.code}</abbr> `)}</td>
            <td>${p.systems.map((s) => systemLabels[s] ?? s).join(', ')}</td>
            <td><span class="tag ${statusTag[p.status] ?? ''}">${words(p.status)}</span></td>
            <td>${
              p.status === 'active'
                ? html`<button type="button" class="secondary" aria-label="Edit ${p.name}" @click=${() => this.openEditor(p)}>Edit</button>
                  <button type="button" class="secondary" aria-label="Close ${p.name}" @click=${() => {
                    this.closing = p;
                    this.editing = null;
                  }}>Close</button>`
                : ''
            }</td>
          </tr>`,
        )}</tbody>
      </table>
    `;
  }

  private renderEditor(target: Position | 'new') {
    const p = target === 'new' ? null : target;
    const has = (list: { code: string }[] | undefined, code: string) =>
      !!list?.some((x) => x.code === code);
    return html`<form class="card" @submit=${this.save} aria-labelledby="editor-h">
      <h2 id="editor-h" tabindex="-1">${p ? `Edit ${p.name}` : 'New position'}</h2>
      ${
        p
          ? ''
          : html`<label for="odsCode">Organisation</label>
            <select id="odsCode" name="odsCode" required @change=${(e: Event) => this.loadWorkgroups((e.target as HTMLSelectElement).value)}>
              ${this.organisations.map((o) => html`<option value=${o.odsCode} ?selected=${o.odsCode === this.odsCode}>${o.odsCode} ${o.name}</option>`)}
            </select>`
      }
      <label for="name">Name</label>
      <input id="name" name="name" required maxlength="120" .value=${p?.name ?? ''} />
      <div class="columns">
        <div><label for="jobRoles">Job roles <span class="hint">Ctrl-click for several</span></label>
          <select id="jobRoles" name="jobRoles" multiple>${this.jobRoles.map((r) => html`<option value=${r.code} ?selected=${has(p?.jobRoles, r.code)}>${r.code} ${r.name}</option>`)}</select></div>
        <div><label for="activities">Activities</label>
          <select id="activities" name="activities" multiple>${this.activities.map((a) => html`<option value=${a.code} ?selected=${has(p?.activities, a.code)}>${a.code} ${a.name}</option>`)}</select></div>
        <div><label for="workgroupIds">Workgroups</label>
          <select id="workgroupIds" name="workgroupIds" multiple>${this.workgroups.map((w) => html`<option value=${w.id} ?selected=${!!p?.workgroups.some((g) => g.id === w.id)}>${w.label}</option>`)}</select></div>
      </div>
      <fieldset class="checks"><legend>Clinical systems it opens</legend>
        ${Object.entries(systemLabels).map(([value, label]) => html`<label><input type="checkbox" name="systems" value=${value} ?checked=${!!p?.systems.includes(value)} /> ${label}</label>`)}
      </fieldset>
      <div class="checks"><label><input type="checkbox" name="assignable" ?checked=${!!p?.assignable} /> Sponsors may assign it directly, without a request</label></div>
      <div class="actions"><button type="submit">${p ? 'Save' : 'Create position'}</button>
        <button type="button" class="secondary" @click=${() => {
          this.editing = null;
        }}>Cancel</button></div>
    </form>`;
  }

  private renderClose(p: Position) {
    return html`<form class="card" @submit=${this.close}>
      <h2>Close ${p.name}</h2>
      <p>Closing ends every assignment of this position today. People keep their other positions.</p>
      <label for="reason">Reason <span class="hint">Recorded with each ended assignment</span></label>
      <input id="reason" name="reason" required minlength="3" maxlength="500" size="60" />
      <div class="actions"><button type="submit" class="danger">Close position</button>
        <button type="button" class="secondary" @click=${() => {
          this.closing = null;
        }}>Cancel</button></div>
    </form>`;
  }
}
customElements.define('ra-positions-page', RaPositionsPage);
