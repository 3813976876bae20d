import { html, LitElement } from 'lit';
import type { Schemas } from '../api/client.ts';
import { daysWords, flagLabels, flagSeverity } from '../card-words.ts';
import { date, dateTime, shortSerial, statusLabel, statusTag } from '../format.ts';
import { shared } from '../styles.ts';

type PersonCard = Schemas['PersonCard'];

/**
 * A person's cards: state, certificate expiry, where a reader last saw each, open flags.
 * Rows stack on a narrow screen.
 */
export class RaCardsTable extends LitElement {
  static override properties = { cards: { attribute: false } };
  declare cards: PersonCard[];
  static override styles = [shared];

  constructor() {
    super();
    this.cards = [];
  }

  override render() {
    if (!this.cards.length) return html`<p>No cards on record.</p>`;
    return html`<table class="stack" data-testid="person-cards">
      <thead><tr><th scope="col">Card</th><th scope="col">State</th><th scope="col">Certificate</th><th scope="col">Last seen</th><th scope="col">Flags</th></tr></thead>
      <tbody>${this.cards.map(
        (c) => html`<tr>
          <td data-label="Card"><a href="/cards/${encodeURIComponent(c.serial)}" title=${c.serial}>${shortSerial(c.serial)}</a> <span class="muted">${c.cardType}</span></td>
          <td data-label="State"><span class="tag ${statusTag[c.state] ?? ''}">${statusLabel(c.state)}</span></td>
          <td data-label="Certificate">${
            c.certificates.length
              ? c.certificates.map(
                  (cert) =>
                    html`<div>${cert.slot ? `${cert.slot.toUpperCase()}: ` : ''}${date(cert.notAfter)}
                      <span class="muted">· ${cert.revoked ? 'revoked' : daysWords(cert.daysLeft)}</span></div>`,
                )
              : html`<span class="muted">none</span>`
          }</td>
          <td data-label="Last seen">${c.lastSeen ? html`${dateTime(c.lastSeen.at)} <span class="muted">${c.lastSeen.workstation}</span>` : html`<span class="muted">not seen by a reader</span>`}</td>
          <td data-label="Flags">${
            c.openFlags.length
              ? c.openFlags.map(
                  (k) => html`<span class="tag ${flagSeverity[k]}">${flagLabels[k]}</span> `,
                )
              : html`<span class="muted">none</span>`
          }</td>
        </tr>`,
      )}</tbody></table>`;
  }
}
customElements.define('ra-cards-table', RaCardsTable);
