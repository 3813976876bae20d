import { Task } from '@lit/task';
import { html, LitElement } from 'lit';
import { ApiError, api, ok } from '../api/client.ts';
import '../components/ra-card-job-runner.ts';
import '../components/ra-loading.ts';
import { shortSerial } from '../format.ts';
import { shared } from '../styles.ts';

export type DeskJob = 'unlock' | 'renew';

const titles: Record<DeskJob, string> = { unlock: 'Unlock', renew: 'Renew certificates of' };

/**
 * Unlock or renew a card at the desk (cards:unlock; cards:renew, or cards:renew-expired for
 * an expired card), never one's own: the card in this workstation's reader, the holder
 * typing the new PIN for an unlock, then the job's progress. Offered from the card's page
 * when the server lists the job in the card's `jobs`.
 */
export class RaCardJobPage extends LitElement {
  static override properties = { serial: { attribute: false }, kind: { attribute: false } };
  declare serial: string;
  declare kind: DeskJob;
  static override styles = [shared];

  private card = new Task(this, {
    args: () => [this.serial, this.kind] as const,
    task: async ([serial, kind], { signal }) => {
      const card = await ok(
        api.GET('/api/cards/{serial}', { params: { path: { serial } }, signal }),
        signal,
      );
      this.dispatchEvent(
        new CustomEvent('ra-page-title', {
          detail: `${titles[kind]} card ${shortSerial(card.serial)}`,
          bubbles: true,
          composed: true,
        }),
      );
      return card;
    },
  });

  constructor() {
    super();
    this.serial = '';
    this.kind = 'unlock';
  }

  override render() {
    const heading = `${titles[this.kind]} card ${shortSerial(this.serial)}`;
    return this.card.render({
      pending: () => html`<h1>${heading}</h1><ra-loading label="Loading the card…"></ra-loading>`,
      error: (err) => html`<h1>${heading}</h1>
        <p class="message error" role="alert">${err instanceof ApiError ? err.message : 'The card could not be loaded.'}</p>`,
      complete: (card) => {
        const back = html`<p><a href="/cards/${encodeURIComponent(card.serial)}">← Card ${shortSerial(card.serial)}</a></p>`;
        const holder = card.holder?.name ?? 'the holder';
        if (card.ownCard) {
          return html`${back}<h1>${heading}</h1><p class="message" data-testid="not-offered">This is your own card: someone else unlocks or renews it at the desk, or you do it yourself on <a href="/my-card">My card</a>.</p>`;
        }
        if (!card.jobs.includes(this.kind)) {
          return html`${back}<h1>${heading}</h1><p class="message" data-testid="not-offered">${
            this.kind === 'unlock'
              ? 'This card cannot be unlocked by you now: it is unlocked when blocked, issued locked or active, by someone with the permission to unlock cards of its organisation.'
              : 'This card cannot be renewed by you now: renewal opens 90 days before its certificates expire, and once they have expired only an RA agent renews it.'
          }</p>`;
        }
        return html`${back}<h1>${heading}</h1>
          <p>${
            this.kind === 'unlock'
              ? `Put the card in this workstation’s reader. ${holder} types a new PIN twice; it goes to the card only, never to the server.`
              : `Put the card in this workstation’s reader. New keys are made on the card and new certificates written to it; the old certificates are revoked once they are. ${holder} needs no PIN for this.`
          }</p>
          <ra-card-job-runner kind=${this.kind} card-serial=${card.serial}
            pin-mode=${this.kind === 'unlock' ? 'new' : 'none'}
            submit-label=${this.kind === 'unlock' ? 'Unlock the card' : 'Renew the certificates'}></ra-card-job-runner>`;
      },
    });
  }
}
customElements.define('ra-card-job-page', RaCardJobPage);
