import { Task } from '@lit/task';
import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { flagLabels, flagSeverity } from '../card-words.ts';
import '../components/ra-loading.ts';
import { count, date, shortSerial } from '../format.ts';
import { shared } from '../styles.ts';

type Section = Schemas['WorklistSection'];
type Kind = Section['kind'];
type SectionOf<K extends Kind> = Extract<Section, { kind: K }>;

/** How one kind of work is shown: its heading, its table, where the whole list lives. */
interface SectionView<K extends Kind> {
  heading: string;
  /** "3 requests wait for your decision." */
  waiting: (n: number) => string;
  /** Said when nothing waits. */
  none: string;
  table: (section: SectionOf<K>) => TemplateResult;
  /** The page with the whole list, if there is one. */
  all?: { href: string; label: string };
}

/** Where a request is decided: the requests page, which opens it. */
const decideHref = (id: string) => `/requests?request=${encodeURIComponent(id)}`;

/**
 * One entry per kind of work: adding a section (the card dashboard of the next issue) is a
 * member of the server's WorklistSection and an entry here.
 */
const views: { [K in Kind]: SectionView<K> } = {
  requestsToDecide: {
    heading: 'Requests to decide',
    waiting: (n) => `${count(n, 'request')} ${n === 1 ? 'waits' : 'wait'} for your decision.`,
    none: 'No request waits for your decision.',
    all: { href: '/requests', label: 'All requests' },
    table: (s) => html`<table class="stack">
      <caption class="visually-hidden">Requests to decide</caption>
      <thead><tr><th scope="col">Person</th><th scope="col">Asks for</th><th scope="col">Raised</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${s.items.map(
        (r) => html`<tr data-testid="waiting-request">
          <td data-label="Person"><a href="/people/${r.person.id}">${r.person.name}</a>
            <span class="muted">${r.person.userId}</span></td>
          <td data-label="Asks for"><a href=${decideHref(r.id)}>${r.kind === 'remove' ? 'Removal of ' : ''}${r.position.name}</a>
            <span class="muted">(${r.position.odsCode})</span></td>
          <td data-label="Raised">${date(r.raisedAt)} by ${r.raisedBy}${
            r.claimedBy
              ? html`<br /><span class="tag amber">Open with ${r.claimedByYou ? 'you' : r.claimedBy}</span>`
              : nothing
          }</td>
          <td>${
            r.actions.includes('decide')
              ? html`<a class="button" href=${decideHref(r.id)}
                  aria-label="Decide the request for ${r.person.name}">Decide</a>`
              : nothing
          }</td>
        </tr>`,
      )}</tbody>
    </table>`,
  },
  identityChecks: {
    heading: 'Identity checks to do',
    waiting: (n) =>
      `${count(n, 'person', 'people')} registered ${n === 1 ? 'waits' : 'wait'} for an identity check in person.`,
    none: 'Nobody waits for an identity check.',
    table: (s) => html`<table class="stack">
      <caption class="visually-hidden">People waiting for an identity check</caption>
      <thead><tr><th scope="col">Person</th><th scope="col">Organisation</th><th scope="col">Registered</th></tr></thead>
      <tbody>${s.items.map(
        (p) => html`<tr data-testid="waiting-person">
          <td data-label="Person"><a href="/people/${p.id}">${p.name}</a> <span class="muted">${p.userId}</span></td>
          <td data-label="Organisation">${p.odsCodes.join(', ')}</td>
          <td data-label="Registered">${date(p.registeredAt)}</td>
        </tr>`,
      )}</tbody>
    </table>`,
  },
  cardFlags: {
    heading: 'Cards that need attention',
    waiting: (n) => `${count(n, 'open card flag')}, most urgent first.`,
    none: 'No card flag is open.',
    all: { href: '/card-flags', label: 'All card flags' },
    table: (s) => html`<table class="stack">
      <caption class="visually-hidden">Open card flags</caption>
      <thead><tr><th scope="col">Flag</th><th scope="col">Holder</th><th scope="col">Card</th><th scope="col">What to do</th></tr></thead>
      <tbody>${s.items.map(
        (f) => html`<tr data-testid="waiting-flag">
          <td data-label="Flag"><span class="tag ${flagSeverity[f.kind]}">${flagLabels[f.kind]}</span>${
            f.summary !== flagLabels[f.kind] ? html`<br />${f.summary}` : nothing
          }</td>
          <td data-label="Holder">${
            f.person
              ? html`<a href="/people/${f.person.id}">${f.person.name}</a>`
              : html`<span class="muted">Holder not known here</span>`
          }</td>
          <td data-label="Card">${
            f.card.known && f.person
              ? html`<a href="/cards/${encodeURIComponent(f.card.serial)}">${shortSerial(f.card.serial)}</a>`
              : shortSerial(f.card.serial)
          }</td>
          <td data-label="What to do">${f.action}</td>
        </tr>`,
      )}</tbody>
    </table>`,
  },
};

/** Renders a section through its view; the one place that bridges the union to its view. */
function renderSection<K extends Kind>(section: SectionOf<K>) {
  const view = views[section.kind as K];
  const more = section.count > section.items.length;
  return html`<section class="card" aria-labelledby="h-${section.kind}" data-testid="section-${section.kind}">
    <h2 id="h-${section.kind}">${view.heading}</h2>
    <p data-testid="waiting">${section.count ? view.waiting(section.count) : view.none}</p>
    ${section.items.length ? view.table(section) : nothing}
    ${
      view.all && section.count
        ? html`<p><a href=${view.all.href}>${more ? `${view.all.label} (${section.count})` : view.all.label}</a></p>`
        : nothing
    }
  </section>`;
}

/**
 * The landing page: what waits for the signed-in user, a section per kind of work their
 * role gives them (GET /api/worklist), each with a count and the first few, linked.
 */
export class RaHomePage extends LitElement {
  static override styles = [
    shared,
    css`
      section.card h2 {
        margin-top: 0;
      }
      /* A link that reads as the button it leads to (the decision is on the requests page). */
      a.button {
        display: inline-block;
        font-weight: 600;
        padding: 0.4rem 0.9rem;
        border-radius: 4px;
        border: 2px solid var(--ra-blue);
        background: var(--ra-blue);
        color: var(--ra-white);
        text-decoration: none;
      }
      a.button:hover {
        background: var(--ra-blue-dark);
        border-color: var(--ra-blue-dark);
      }
    `,
  ];

  private worklist = new Task(this, {
    args: () => [] as const,
    task: (_args, { signal }) => ok(api.GET('/api/worklist', { signal }), signal),
  });

  override render() {
    return html`<h1>Home</h1>
      ${this.worklist.render({
        pending: () => html`<ra-loading label="Finding what waits for you…"></ra-loading>`,
        error: (err) => html`<div class="message error" role="alert">
          <p>${err instanceof ApiError ? err.message : 'What waits for you could not be loaded.'}</p>
          <button type="button" class="secondary" @click=${() => this.worklist.run()}>Try again</button>
        </div>`,
        complete: ({ sections }) =>
          sections.length
            ? sections.map((s) => renderSection(s))
            : html`<p>Nothing waits for you here. <a href="/my-access">See your access</a>.</p>`,
      })}`;
  }
}
customElements.define('ra-home-page', RaHomePage);
