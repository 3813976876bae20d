import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import './ra-loading.ts';
import { date, dateTime } from '../format.ts';
import { shared } from '../styles.ts';

type Notification = Schemas['Notification'];

const kindWords: Record<Notification['kind'], string> = {
  holder: 'To them',
  sponsor: 'Copy to their sponsor',
  ra: 'To the RA',
};

/** How a notification went, in words: "Sent 29 Nov 2026 07:00 (after 3 tries)". */
function outcome(n: Notification): string {
  const tries = n.attempts > 1 ? ` (after ${n.attempts} tries)` : '';
  switch (n.status) {
    case 'sent':
      return `Sent ${n.sentAt ? dateTime(n.sentAt) : ''}${tries}`;
    case 'pending':
      return 'Waiting to be sent';
    case 'sending':
      return 'Being sent';
    case 'failed':
      return `Failed ${n.attempts === 1 ? 'once' : `${n.attempts} times`}, to be tried again: ${n.lastError ?? ''}`;
    case 'abandoned':
      return `Not sent, given up after ${n.attempts} tries: ${n.lastError ?? ''}`;
    case 'suppressed':
      return `Not sent: ${n.suppressedReason ?? ''}`;
    case 'interrupted':
      return `Maybe not sent: ${n.lastError ?? ''}`;
  }
}

/**
 * The expiry, blocked-PIN and position-ending notices about a person (`person-id`, for the
 * RA on the person's page) or sent to the signed-in holder (`mine`), and how each went.
 */
export class RaNotificationList extends LitElement {
  static override properties = {
    personId: { attribute: 'person-id' },
    mine: { type: Boolean },
  };
  declare personId: string | undefined;
  declare mine: boolean;

  private list = new Task(this, {
    args: () => [this.personId, this.mine] as const,
    task: async ([personId, mine], { signal }): Promise<Notification[]> => {
      if (mine)
        return (await ok(api.GET('/api/me/notifications', { signal }), signal)).notifications;
      if (!personId) return [] as Notification[];
      return (
        await ok(
          api.GET('/api/people/{id}/notifications', { params: { path: { id: personId } }, signal }),
          signal,
        )
      ).notifications;
    },
  });

  static override styles = [
    shared,
    css`
      .items {
        margin: 0;
        padding-left: 1.1rem;
      }
    `,
  ];

  constructor() {
    super();
    this.mine = false;
  }

  override render() {
    return this.list.render({
      pending: () => html`<ra-loading label="Loading notifications…"></ra-loading>`,
      error: (err) =>
        html`<p class="message error" role="alert">${err instanceof ApiError ? err.message : 'The notifications could not be loaded.'}</p>`,
      complete: (items) => this.renderList(items),
    });
  }

  private renderList(items: Notification[]) {
    if (items.length === 0) {
      return html`<p data-testid="no-notifications">${this.mine ? 'Nothing has been sent to you.' : 'No notifications yet.'}</p>`;
    }
    return html`<table class="stack">
      <thead><tr><th scope="col">Day</th>${this.mine ? nothing : html`<th scope="col">To</th>`}<th scope="col">Message</th><th scope="col">How it went</th></tr></thead>
      <tbody>${items.map(
        (n) => html`<tr data-testid="notification">
          <td data-label="Day">${date(n.day)}</td>
          ${this.mine ? nothing : html`<td data-label="To">${kindWords[n.kind]}${n.toAddress ? html`<br>${n.toAddress}` : nothing}</td>`}
          <td data-label="Message"><strong>${n.subject}</strong>
            <ul class="items">${n.items.map((i) => html`<li>${i}</li>`)}</ul></td>
          <td data-label="How it went">${outcome(n)}</td>
        </tr>`,
      )}</tbody>
    </table>`;
  }
}
customElements.define('ra-notification-list', RaNotificationList);
