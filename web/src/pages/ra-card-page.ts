import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { daysWords, flagLabels, flagSeverity } from '../card-words.ts';
import '../components/ra-history.ts';
import '../components/ra-loading.ts';
import { date, dateTime, shortSerial, statusLabel } from '../format.ts';
import { shared } from '../styles.ts';

const stateTag: Record<Schemas['Card']['state'], string> = {
  in_stock: '',
  issued_locked: 'amber',
  active: 'green',
  blocked: 'red',
  suspended: 'amber',
  cancelled: 'red',
  returned: '',
  destroyed: '',
};

const slotNames: Record<string, string> = {
  '9a': 'Authentication',
  '9c': 'Signing',
  '9d': 'Key management',
  '9e': 'Card authentication',
};

/**
 * One card: serial, holder, state, certificates, where a reader last saw it, its open flags
 * and its history. The card lifecycle (issue, unlock, renew, cancel) will act from here.
 */
export class RaCardPage extends LitElement {
  static override properties = { serial: { attribute: false } };
  declare serial: string;

  private card = new Task(this, {
    args: () => [this.serial] as const,
    task: async ([serial], { signal }) => {
      const card = await ok(
        api.GET('/api/cards/{serial}', { params: { path: { serial } }, signal }),
        signal,
      );
      // The tab names the card, as the heading does.
      this.dispatchEvent(
        new CustomEvent('ra-page-title', {
          detail: `Card ${shortSerial(card.serial)}`,
          bubbles: true,
          composed: true,
        }),
      );
      return card;
    },
  });

  static override styles = [
    shared,
    css`
      dl {
        display: grid;
        grid-template-columns: minmax(6rem, max-content) minmax(0, 1fr);
        gap: 0.35rem 1rem;
      }
      dt {
        font-weight: 600;
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      h1 {
        overflow-wrap: anywhere;
      }
    `,
  ];

  constructor() {
    super();
    this.serial = '';
  }

  override render() {
    return this.card.render({
      pending: () => html`<h1>Card</h1><ra-loading label="Loading the card…"></ra-loading>`,
      error: (err) => html`<h1>Card</h1>
        <div class="message error" role="alert"><p>${
          err instanceof ApiError ? err.message : 'The card could not be loaded.'
        }</p></div>`,
      complete: (card) => html`
        <h1>Card ${shortSerial(card.serial)}</h1>
        <section class="card" aria-label="The card">
          <dl>
            <dt>Serial</dt><dd data-testid="serial">${card.serial}</dd>
            <dt>Holder</dt><dd>${
              card.holder
                ? html`<a href="/people/${card.holder.id}">${card.holder.name}</a> <span class="muted">${card.holder.userId}</span>`
                : card.state === 'in_stock'
                  ? html`<span class="muted">In stock: nobody holds it</span>`
                  : html`<span class="muted">Holder not known here</span>`
            }</dd>
            <dt>State</dt><dd><span class="tag ${stateTag[card.state]}" data-testid="state">${statusLabel(card.state)}</span></dd>
            <dt>Type</dt><dd>${card.cardType}</dd>
            <dt>Last seen</dt><dd>${
              card.lastSeen
                ? `${dateTime(card.lastSeen.at)} at ${card.lastSeen.workstation}`
                : html`<span class="muted">Not seen by a reader yet</span>`
            }</dd>
            <dt>Open flags</dt><dd>${
              card.openFlags.length
                ? card.openFlags.map(
                    (f) => html`<span class="tag ${flagSeverity[f]}">${flagLabels[f]}</span> `,
                  )
                : 'None'
            }</dd>
          </dl>
        </section>
        <section aria-labelledby="certs-h">
          <h2 id="certs-h">Certificates</h2>
          ${
            card.certificates.length
              ? html`<table class="stack">
                  <thead><tr><th scope="col">Use</th><th scope="col">Subject</th><th scope="col">Expires</th><th scope="col">State</th></tr></thead>
                  <tbody>${card.certificates.map(
                    (c) => html`<tr data-testid="certificate">
                      <td data-label="Use">${(c.slot && slotNames[c.slot]) ?? 'Certificate'}</td>
                      <td data-label="Subject">${c.subject}</td>
                      <td data-label="Expires">${date(c.notAfter)} <span class="muted">(${daysWords(c.daysLeft)})</span></td>
                      <td data-label="State">${c.revoked ? html`<span class="tag red">Revoked</span>` : 'Valid'}</td>
                    </tr>`,
                  )}</tbody>
                </table>`
              : html`<p>No certificate of this RA is on the card.</p>`
          }
        </section>
        <ra-history subject-type="card" subject-id=${card.serial}></ra-history>
        ${nothing}
      `,
    });
  }
}
customElements.define('ra-card-page', RaCardPage);
