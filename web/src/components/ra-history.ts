import { ContextConsumer } from '@lit/context';
import { Task, TaskStatus } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok } from '../api/client.ts';
import {
  type AuditEvent,
  detailsDisclosure,
  foldTrail,
  sentence,
  trailStyles,
} from '../audit-sentences.ts';
import { dateTime } from '../format.ts';
import { can, sessionContext } from '../session.ts';
import { shared } from '../styles.ts';
import './ra-loading.ts';

/** Events per call: the recent story of one record. */
const pageSize = 20;

/**
 * The history of one record, as sentences from the audit trail: a person's (what was done
 * to them and by them, their requests and their cards) or a card's. Shown to those who read
 * the audit trail; absent for anyone else.
 *
 *     <ra-history subject-type="person" subject-id=${person.id}></ra-history>
 *     <ra-history subject-type="card" subject-id=${card.serial}></ra-history>
 */
export class RaHistory extends LitElement {
  static override properties = {
    subjectType: { attribute: 'subject-type' },
    subjectId: { attribute: 'subject-id' },
    revision: { type: Number },
    cursor: { state: true },
    earlier: { state: true },
  };
  /** `person`, `card`, or any subject type the audit trail records. */
  declare subjectType: string;
  declare subjectId: string;
  /**
   * Bumped by the page after each action on the record: the history loads again from the
   * newest event, so the action shows at once.
   */
  declare revision: number;
  declare cursor: string | null;
  declare earlier: AuditEvent[];

  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  private events = new Task(this, {
    args: () =>
      [
        this.subjectType,
        this.subjectId,
        this.cursor,
        this.revision,
        can(this.session.value, 'audit:read'),
      ] as const,
    task: async ([subjectType, subjectId, cursor, _revision, reads], { signal }) => {
      if (!reads || !subjectType || !subjectId) return null;
      const query = subjectType === 'person' ? { person: subjectId } : { subjectType, subjectId };
      return ok(
        api.GET('/api/audit', {
          params: { query: { ...query, limit: pageSize, ...(cursor ? { cursor } : {}) } },
          signal,
        }),
        signal,
      );
    },
  });

  static override styles = [
    shared,
    trailStyles,
    css`
      :host {
        display: block;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        padding: 0.5rem 0;
        border-bottom: 1px solid var(--ra-border);
      }
      li time {
        display: block;
        color: var(--ra-muted);
        font-size: 0.9rem;
      }
    `,
  ];

  constructor() {
    super();
    this.subjectType = '';
    this.subjectId = '';
    this.revision = 0;
    this.cursor = null;
    this.earlier = [];
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('subjectType') || changed.has('subjectId') || changed.has('revision')) {
      this.cursor = null;
      this.earlier = [];
    }
  }

  private more() {
    const page = this.events.value;
    if (!page?.nextCursor) return;
    this.earlier = [...this.earlier, ...page.items];
    this.cursor = page.nextCursor;
  }

  override render() {
    if (!can(this.session.value, 'audit:read')) return nothing;
    const loading = this.events.status === TaskStatus.PENDING;
    // While older events load, the page before them is already in `earlier`; while the
    // newest load again (after an action), what was shown stays until they come.
    const last = loading && this.cursor ? undefined : this.events.value;
    const events = [...this.earlier, ...(last?.items ?? [])];
    return html`<section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      ${
        this.events.status === TaskStatus.ERROR
          ? html`<p class="message error" role="alert">${
              this.events.error instanceof ApiError
                ? this.events.error.message
                : 'The history could not be loaded.'
            }</p>`
          : nothing
      }
      ${loading && !events.length ? html`<ra-loading label="Loading the history…"></ra-loading>` : nothing}
      ${!loading && this.events.status === TaskStatus.COMPLETE && !events.length ? html`<p>Nothing recorded yet.</p>` : nothing}
      ${
        events.length
          ? html`<ol>${foldTrail(events).map(
              (entry) => html`<li data-testid="history-event">
                <time datetime=${entry.event.occurredAt}>${dateTime(entry.event.occurredAt)}</time>
                <span class="sentence">${sentence(entry)}</span>
                ${detailsDisclosure(entry)}
              </li>`,
            )}</ol>`
          : nothing
      }
      <div class="actions">
        ${
          last?.nextCursor || (loading && this.cursor)
            ? html`<button type="button" class="secondary" @click=${this.more} ?disabled=${loading}>${loading ? 'Loading…' : 'Show older'}</button>`
            : nothing
        }
        ${
          this.subjectType === 'person'
            ? html`<a href="/audit?person=${encodeURIComponent(this.subjectId)}">Open in the audit trail</a>`
            : nothing
        }
      </div>
    </section>`;
  }
}
customElements.define('ra-history', RaHistory);
