import { ContextConsumer } from '@lit/context';
import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import {
  cardReasonWords,
  daysWords,
  flagLabels,
  flagSeverity,
  revocationWords,
} from '../card-words.ts';
import '../components/ra-dialog.ts';
import type { RaDialog } from '../components/ra-dialog.ts';
import '../components/ra-history.ts';
import '../components/ra-loading.ts';
import { date, dateTime, shortSerial, statusLabel } from '../format.ts';
import { can, sessionContext } from '../session.ts';
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

type Card = Schemas['Card'];
type CardAction = Card['actions'][number];
type Certificate = Card['certificates'][number];

/** The button for each move, in the order the page offers them. */
const buttons: Record<CardAction, { label: string; style: string }> = {
  reinstate: { label: 'Reinstate', style: '' },
  suspend: { label: 'Suspend (reported missing)', style: 'secondary' },
  cancel: { label: 'Cancel card', style: 'danger' },
  return: { label: 'Record as returned', style: 'secondary' },
  clear: { label: 'Clear back to stock', style: 'secondary' },
  destroy: { label: 'Record as destroyed', style: 'danger' },
};
const order = Object.keys(buttons) as CardAction[];

/** The card jobs the page leads to (through this workstation's reader agent). */
const jobLinks: Record<Card['jobs'][number], string> = {
  unlock: 'Unlock',
  renew: 'Renew certificates',
};

/** What each move's dialog says: plainly what happens, above all what cannot be undone. */
function dialogWords(action: CardAction, card: Card) {
  const name = `card ${shortSerial(card.serial)}`;
  // Only certificates still in force change: an expired one is neither held nor revoked.
  const certs = card.certificates.some((c) => c.daysLeft >= 0 && c.status !== 'revoked');
  switch (action) {
    case 'suspend':
      return {
        heading: `Suspend ${name}`,
        text: `For a card reported missing that may turn up again.${
          certs
            ? ' Its certificates are put on hold at once: systems stop accepting the card until it is reinstated.'
            : ''
        }`,
        confirmLabel: 'Suspend card',
        danger: true,
      };
    case 'reinstate':
      return {
        heading: `Reinstate ${name}`,
        text: `The card is active again.${
          certs ? ' The hold on its certificates is released, and systems accept it again.' : ''
        }`,
        confirmLabel: 'Reinstate card',
        danger: false,
      };
    case 'cancel':
      return {
        heading: `Cancel ${name}`,
        text: `This is final: the card can never be used again${
          certs ? ', and its certificates are revoked at once' : ''
        }. ${card.actions.includes('suspend') ? 'If it may turn up, suspend it instead.' : ''}`,
        confirmLabel: 'Cancel card',
        dismissLabel: 'Keep the card',
        danger: true,
      };
    case 'return':
      return {
        heading: `Record ${name} as returned`,
        text: 'The card has been handed back to the RA. Its certificates were revoked when it was cancelled.',
        confirmLabel: 'Record as returned',
        danger: false,
      };
    case 'clear':
      return {
        heading: `Clear ${name} back to stock`,
        text: 'The card is blank again, held by nobody, and ready to be issued.',
        confirmLabel: 'Clear to stock',
        danger: false,
      };
    case 'destroy':
      return {
        heading: `Record ${name} as destroyed`,
        text: 'This is final: the card is never issued again.',
        confirmLabel: 'Record as destroyed',
        danger: true,
      };
  }
}

/** Whether any certificate of the card, not yet expired, now has this status. */
const now = (c: Card, status: Certificate['status']) =>
  c.certificates.some((x) => x.status === status && x.daysLeft >= 0);

/** What the page says once a move is made, of the certificates only where it is so. */
const doneWords: Record<CardAction, (card: Card) => string> = {
  suspend: (c) =>
    `The card is suspended${now(c, 'on_hold') ? ': its certificates are on hold' : ''}.`,
  reinstate: (c) =>
    `The card is active again${now(c, 'valid') ? ': its certificates are valid again' : ''}.`,
  cancel: (c) =>
    `The card is cancelled (${c.stateReason ? cardReasonWords[c.stateReason] : 'final'})${
      now(c, 'revoked') ? ': its certificates are revoked' : ''
    }.`,
  return: () => 'The card is recorded as returned.',
  clear: () => 'The card is back in stock.',
  destroy: () => 'The card is recorded as destroyed.',
};

function certificateState(c: Certificate) {
  // Not revoked, but past its end: no system accepts it, whatever the card's state.
  if (c.status === 'valid')
    return c.daysLeft < 0 ? html`<span class="tag red">Expired</span>` : 'Valid';
  const why =
    c.revocationReason && c.revocationReason !== 'certificateHold'
      ? ` (${revocationWords[c.revocationReason]})`
      : '';
  return c.status === 'on_hold'
    ? html`<span class="tag amber">On hold</span>`
    : html`<span class="tag red">Revoked${why}</span>`;
}

const slotNames: Record<string, string> = {
  '9a': 'Authentication',
  '9c': 'Signing',
  '9d': 'Key management',
  '9e': 'Card authentication',
};

/**
 * One card: serial, holder, state and why, certificates and their status, where a reader
 * last saw it, its open flags and its history, with a button for exactly each move the
 * server says the user may make (`actions`): suspend, reinstate, cancel, and the stock
 * moves. Each asks first in a dialog; afterwards the page shows the card as it now is and
 * its history with the move in it.
 */
export class RaCardPage extends LitElement {
  static override properties = {
    serial: { attribute: false },
    pending: { state: true },
    notice: { state: true },
    historyRevision: { state: true },
  };
  declare serial: string;
  /** The move the dialog is asking about. */
  declare pending: CardAction | null;
  declare notice: string | null;
  /** Counts the moves made here, so the history shows each one without a reload. */
  declare historyRevision: number;
  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

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
      .heading {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        margin-bottom: 1rem;
      }
      .heading h1 {
        margin-right: auto;
        margin-bottom: 0;
      }
      .heading .actions {
        margin: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.serial = '';
    this.pending = null;
    this.notice = null;
    this.historyRevision = 0;
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('serial')) {
      this.notice = null;
      this.pending = null;
    }
  }

  private async ask(action: CardAction) {
    this.notice = null;
    this.pending = action;
    await this.updateComplete;
    await this.renderRoot.querySelector<RaDialog>('ra-dialog')?.show();
  }

  private async confirm(event: CustomEvent<{ reason: string }>, card: Card) {
    const dialog = event.target as RaDialog;
    const action = this.pending;
    if (!action) return;
    const params = { path: { serial: card.serial } };
    try {
      let moved: Card;
      if (action === 'cancel' || action === 'suspend') {
        // A move with one reason (suspend: reported missing) asked none: it is that one.
        const only = card.reasons[action]?.length === 1 ? card.reasons[action]?.[0]?.reason : '';
        const reason = event.detail.reason || only || '';
        const path =
          action === 'cancel' ? '/api/cards/{serial}/cancel' : '/api/cards/{serial}/suspend';
        moved = await ok(api.POST(path, { params, body: { reason } }));
      } else {
        const path = {
          reinstate: '/api/cards/{serial}/reinstate',
          return: '/api/cards/{serial}/return',
          clear: '/api/cards/{serial}/clear',
          destroy: '/api/cards/{serial}/destroy',
        } as const;
        moved = await ok(api.POST(path[action], { params }));
      }
      dialog.close();
      this.pending = null;
      this.notice = doneWords[action](moved);
      this.historyRevision += 1;
      await this.card.run();
    } catch (err) {
      const problems = err instanceof ApiError ? err.fieldProblems : [];
      dialog.fail(
        problems.length
          ? problems.map((p) => p.message).join('; ')
          : err instanceof ApiError
            ? err.message
            : 'That did not work. Try again.',
      );
    }
  }

  private renderDialog(card: Card) {
    const action = this.pending;
    const w = action ? dialogWords(action, card) : null;
    // A move with several reasons asks which; one with a single reason asks none.
    const options = action === 'cancel' || action === 'suspend' ? (card.reasons[action] ?? []) : [];
    const choices =
      options.length > 1 ? options.map((r) => ({ value: r.reason, label: r.label })) : [];
    return html`<ra-dialog heading=${w?.heading ?? ''} confirmLabel=${w?.confirmLabel ?? 'Confirm'}
      dismissLabel=${w && 'dismissLabel' in w ? w.dismissLabel : 'Go back'}
      choiceLabel=${`Why is the card being ${action === 'suspend' ? 'suspended' : 'cancelled'}?`}
      .choices=${choices}
      ?danger=${w?.danger ?? false}
      @confirm=${(e: CustomEvent<{ reason: string }>) => this.confirm(e, card)}
      @cancel=${() => {
        this.pending = null;
      }}>${w ? html`<p>${w.text}</p>` : nothing}</ra-dialog>`;
  }

  override render() {
    return this.card.render({
      // Reloading after a move keeps the page in place; another card's page does not.
      pending: () =>
        this.card.value?.serial.toLowerCase() === this.serial.toLowerCase()
          ? this.renderCard(this.card.value)
          : html`<h1>Card</h1><ra-loading label="Loading the card…"></ra-loading>`,
      error: (err) => html`<h1>Card</h1>
        <div class="message error" role="alert"><p>${
          err instanceof ApiError ? err.message : 'The card could not be loaded.'
        }</p></div>`,
      complete: (card) => this.renderCard(card),
    });
  }

  private renderCard(card: Card) {
    const stateSince = card.stateChangedAt ? `since ${date(card.stateChangedAt)}` : '';
    return html`
        <div class="heading">
          <h1>Card ${shortSerial(card.serial)}</h1>
          ${
            card.actions.length || card.jobs.length
              ? html`<div class="actions">${card.jobs.map(
                  (job) =>
                    html`<a class="button" href=${card.ownCard ? '/my-card' : `/cards/${encodeURIComponent(card.serial)}/${job}`}>${jobLinks[job]}</a>`,
                )}${order
                  .filter((a) => card.actions.includes(a))
                  .map(
                    (a) =>
                      html`<button type="button" class=${buttons[a].style} @click=${() => this.ask(a)}>${buttons[a].label}</button>`,
                  )}</div>`
              : nothing
          }
        </div>
        ${this.notice ? html`<p class="message success" role="status">${this.notice}</p>` : nothing}
        <section class="card" aria-label="The card">
          <dl>
            <dt>Serial</dt><dd data-testid="serial">${card.serial}</dd>
            <dt>Holder</dt><dd>${
              card.holder
                ? html`${
                    // A card holder sees their own card, but not the people pages.
                    can(this.session.value, 'people:read')
                      ? html`<a href="/people/${card.holder.id}">${card.holder.name}</a>`
                      : card.holder.name
                  } <span class="muted">${card.holder.userId}</span>`
                : card.state === 'in_stock'
                  ? html`<span class="muted">In stock: nobody holds it</span>`
                  : html`<span class="muted">Holder not known here</span>`
            }</dd>
            <dt>State</dt><dd><span class="tag ${stateTag[card.state]}" data-testid="state">${statusLabel(card.state)}</span>${
              card.stateReason
                ? html` (<span data-testid="state-reason">${cardReasonWords[card.stateReason]}</span>)`
                : nothing
            }${stateSince ? html` <span class="muted">${stateSince}</span>` : nothing}</dd>
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
                      <td data-label="State" data-testid="certificate-state">${certificateState(c)}</td>
                    </tr>`,
                  )}</tbody>
                </table>`
              : html`<p>No certificate of this RA is on the card.</p>`
          }
        </section>
        <ra-history subject-type="card" subject-id=${card.serial} .revision=${this.historyRevision}></ra-history>
        ${this.renderDialog(card)}
      `;
  }
}
customElements.define('ra-card-page', RaCardPage);
