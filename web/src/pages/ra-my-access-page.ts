import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { ApiError, api, ok } from '../api/client.ts';
import '../components/ra-assignments-table.ts';
import '../components/ra-cards-table.ts';
import '../components/ra-loading.ts';
import type { PositionChoice, RaPositionForm } from '../components/ra-position-form.ts';
import '../components/ra-position-form.ts';
import '../components/ra-request-pages.ts';
import type { RequestRow } from '../components/ra-requests-table.ts';
import { count } from '../format.ts';
import { shared } from '../styles.ts';

/**
 * A card holder's own access: positions held, asking for one, and their requests. The
 * positions offered are the server's answer for this person (their organisations' own),
 * those held or already asked for shown but not choosable.
 */
export class RaMyAccessPage extends LitElement {
  static override properties = {
    reloads: { state: true },
    notice: { state: true },
    sent: { state: true },
  };
  /** Bumped to fetch again after a request is sent or withdrawn. */
  declare reloads: number;
  /** What the last withdrawal did, said beside the requests until the next action. */
  declare notice: string;
  /**
   * The last "Request sent", kept by the page: when that request was the last one could ask
   * for, the form goes and the page says it in the form's place.
   */
  declare sent: string;
  static override styles = [shared];

  private readonly data = new Task(this, {
    args: () => [this.reloads] as const,
    task: async (_args, { signal }) => {
      try {
        const [person, positions] = await Promise.all([
          ok(api.GET('/api/me/person', { signal }), signal),
          ok(api.GET('/api/me/requestable-positions', { signal }), signal),
        ]);
        return { person, positions: positions.items };
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
  });

  constructor() {
    super();
    this.reloads = 0;
    this.notice = '';
    this.sent = '';
  }

  private workChanged() {
    this.dispatchEvent(new CustomEvent('ra-work-changed', { bubbles: true, composed: true }));
  }

  private readonly withdrawn = (event: CustomEvent<RequestRow>) => {
    // The form's "Request sent" is about an earlier action: this one says its own result.
    this.renderRoot.querySelector<RaPositionForm>('ra-position-form')?.clear();
    this.sent = '';
    this.notice = `Request for ${event.detail.position.name} withdrawn. Nobody will decide it.`;
    this.reloads++;
  };

  private readonly send = async (choice: PositionChoice) => {
    const person = this.data.value?.person;
    if (!person) throw new Error('not loaded');
    this.notice = '';
    this.sent = '';
    try {
      await ok(
        api.POST('/api/requests', { body: { kind: 'assign', personId: person.id, ...choice } }),
      );
    } catch (err) {
      // Raised or assigned meanwhile (another tab, the RA team): show the lists as they are now.
      if (err instanceof ApiError && err.status === 409) this.reloads++;
      throw err;
    }
    this.sent = 'Request sent. Your sponsor or the RA team will decide it.';
    this.reloads++;
    this.workChanged();
    return this.sent;
  };

  override render() {
    const value = this.data.value;
    // While it fetches again (after a request), the page keeps what it showed.
    if (this.data.status === TaskStatus.ERROR) {
      const err = this.data.error;
      return html`<h1>My access</h1>
        <div class="message error" role="alert"><p>${err instanceof ApiError ? err.message : 'Your access could not be loaded.'}</p>
          <button type="button" class="secondary" @click=${() => this.data.run()}>Try again</button></div>`;
    }
    if (value === undefined) {
      return html`<h1>My access</h1><ra-loading label="Loading your access…"></ra-loading>`;
    }
    if (value === null) {
      return html`<h1>My access</h1><p>Your account is not linked to a person record yet. Ask the RA team.</p>`;
    }
    const { person: p, positions } = value;
    const choosable = positions.filter((x) => x.availability === 'requestable').length;
    return html`
      <h1>My access</h1>
      <p>User ID <strong>${p.userId}</strong></p>
      <section class="card" aria-labelledby="held-h">
        <h2 id="held-h">Positions you hold</h2>
        <ra-assignments-table .assignments=${p.assignments}></ra-assignments-table>
      </section>
      <section class="card" aria-labelledby="cards-h">
        <h2 id="cards-h">Your cards</h2>
        <ra-cards-table .cards=${p.cards}></ra-cards-table>
        <p>At a workstation with a card reader, <a href="/check-card">check your card</a> for its
          expiry and PIN state.</p>
        ${
          p.cards.some((c) => ['issued_locked', 'active', 'blocked'].includes(c.state))
            ? html`<p>Card locked, or due for renewal? <a href="/my-card">Unlock or renew it on My card</a>.</p>`
            : nothing
        }
      </section>
      <section class="card" aria-labelledby="ask-h">
        <h2 id="ask-h">Request a position</h2>
        <p class="muted">${
          choosable
            ? `${count(choosable, 'position')} of ${p.organisations.map((o) => o.name).join(', ') || 'your organisations'} you can ask for.`
            : 'There is no position of your organisations that you do not hold or have not asked for already.'
        }</p>
        ${
          // Nothing left to ask for: no form to fill in, only what the last request did.
          choosable
            ? html`<ra-position-form form-id="ask" .positions=${positions} with-note submit-label="Send request"
                .send=${this.send}></ra-position-form>`
            : this.sent
              ? html`<p class="message success" role="status" data-testid="sent-notice">${this.sent}</p>`
              : nothing
        }
      </section>
      <section class="card" aria-labelledby="mine-h">
        <h2 id="mine-h">Your requests</h2>
        <div role="status">${this.notice ? html`<p class="message success" data-testid="withdrawn-notice">${this.notice}</p>` : nothing}</div>
        <ra-request-pages view="mine" .revision=${this.reloads} @ra-request-withdrawn=${this.withdrawn}></ra-request-pages>
      </section>
    `;
  }
}
customElements.define('ra-my-access-page', RaMyAccessPage);
