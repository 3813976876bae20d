import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { requestUnlockCode, type SentCode } from '../card-jobs/unlock-code.ts';
import '../components/ra-card-job-runner.ts';
import '../components/ra-loading.ts';
import '../components/ra-notification-list.ts';
import { daysWords } from '../card-words.ts';
import { date, shortSerial, statusLabel } from '../format.ts';
import { shared } from '../styles.ts';

type Card = Schemas['Card'];
/** What the holder is doing: reading the page, unlocking, or renewing. */
type Mode = 'none' | 'unlock' | 'renew';

/** A card still in the holder's hands and usable once unlocked or renewed. */
const inUse = new Set(['issued_locked', 'active', 'blocked']);

/**
 * A card holder's own card: its state and expiry, and the two things they do themselves at
 * an enrolled workstation. Unlock: a one-time code sent to their work email, then a new PIN
 * typed twice, with the card in the reader. Renew, inside the last 90 days: their PIN, which
 * the card checks. Each is offered only when the server lists it in the card's `jobs`.
 */
export class RaMyCardPage extends LitElement {
  static override properties = {
    mode: { state: true },
    sent: { state: true },
    codeProblem: { state: true },
    asking: { state: true },
    unlocked: { state: true },
  };
  declare mode: Mode;
  declare sent: SentCode | null;
  declare codeProblem: string;
  declare asking: boolean;
  /** The unlock succeeded: the code is spent, and only the outcome stays on the page. */
  declare unlocked: boolean;
  static override styles = [shared];

  private data = new Task(this, {
    args: () => [] as const,
    task: async (_args, { signal }) => {
      let person: Schemas['Person'];
      try {
        person = await ok(api.GET('/api/me/person', { signal }), signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
      const held =
        person.view === 'full' ? person.cards.find((c) => inUse.has(c.state)) : undefined;
      if (!held) return null;
      const params = { path: { serial: held.serial } };
      return ok(api.GET('/api/cards/{serial}', { params, signal }), signal);
    },
  });

  constructor() {
    super();
    this.mode = 'none';
    this.sent = null;
    this.codeProblem = '';
    this.asking = false;
    this.unlocked = false;
  }

  private async askForCode() {
    this.asking = true;
    this.codeProblem = '';
    try {
      this.sent = await requestUnlockCode();
    } catch (err) {
      this.codeProblem =
        err instanceof ApiError ? err.message : 'No code could be sent. Try again.';
    } finally {
      this.asking = false;
    }
  }

  private choose(mode: Mode) {
    this.mode = mode;
    this.codeProblem = '';
    if (this.unlocked) {
      this.unlocked = false;
      this.sent = null;
    }
  }

  private unlockEnded(event: CustomEvent<Schemas['CardJob']>) {
    if (event.detail.state === 'succeeded') this.unlocked = true;
    this.data.run();
  }

  override render() {
    return html`<h1>My card</h1>
      ${this.data.render({
        // Reloading after a job keeps the page, and the job's outcome, in place.
        pending: () =>
          this.data.value
            ? this.renderCard(this.data.value)
            : html`<ra-loading label="Loading your card…"></ra-loading>`,
        error: (err) =>
          html`<p class="message error" role="alert">${err instanceof ApiError ? err.message : 'Your card could not be loaded.'}</p>`,
        complete: (card) =>
          card
            ? this.renderCard(card)
            : html`<p class="message" data-testid="no-card">You hold no card in use. The RA desk issues cards: ask your sponsor for a position first, then book a visit.</p>`,
      })}
      <section class="card" aria-labelledby="sent-h">
        <h2 id="sent-h">Messages sent to you</h2>
        <ra-notification-list mine></ra-notification-list>
      </section>`;
  }

  private renderCard(card: Card) {
    const expiry = card.certificates
      .filter((c) => c.status === 'valid')
      .sort((a, b) => a.notAfter.localeCompare(b.notAfter))[0];
    const may = (job: 'unlock' | 'renew') => card.jobs.includes(job);
    return html`<section class="card" aria-label="Your card">
        <dl>
          <dt>Card</dt><dd data-testid="serial">${shortSerial(card.serial)}</dd>
          <dt>State</dt><dd data-testid="state">${statusLabel(card.state)}</dd>
          <dt>Certificates expire</dt><dd>${expiry ? `${date(expiry.notAfter)} (${daysWords(expiry.daysLeft)})` : 'no certificate in force'}</dd>
        </dl>
        ${card.state === 'blocked' ? html`<p class="message error">Your card is locked (too many wrong PINs). Unlock it here with a code sent to your work email.</p>` : nothing}
        ${card.state === 'issued_locked' ? html`<p class="message">Your card is waiting for its PIN. Unlock it here to set one.</p>` : nothing}
        ${
          may('unlock') || may('renew')
            ? html`<div class="actions">
                ${may('unlock') ? html`<button type="button" class=${this.mode === 'unlock' ? '' : 'secondary'} aria-pressed=${this.mode === 'unlock'} @click=${() => this.choose('unlock')}>Unlock my card</button>` : nothing}
                ${may('renew') ? html`<button type="button" class=${this.mode === 'renew' ? '' : 'secondary'} aria-pressed=${this.mode === 'renew'} @click=${() => this.choose('renew')}>Renew my card</button>` : nothing}
              </div>`
            : html`<p class="muted">Nothing to do: renewal opens 90 days before your certificates expire. Once they have expired, the RA desk renews the card with you in person.</p>`
        }
      </section>
      ${this.mode === 'unlock' ? this.renderUnlock(card) : nothing}
      ${
        this.mode === 'renew'
          ? html`<section aria-labelledby="renew-h">
              <h2 id="renew-h">Renew my card</h2>
              <p>Put your card in this computer’s reader and type your PIN: the card checks it, then gets new keys and certificates. Your PIN stays as it is.</p>
              <ra-card-job-runner kind="renew" card-serial=${card.serial} pin-mode="current"
                submit-label="Renew with my PIN" @ra-job-ended=${() => this.data.run()}></ra-card-job-runner>
            </section>`
          : nothing
      }`;
  }

  private renderUnlock(card: Card) {
    // One template throughout, so the runner (and the job's outcome in it) stays in place.
    const spent = this.unlocked;
    return html`<section aria-labelledby="unlock-h">
      <h2 id="unlock-h">Unlock my card</h2>
      ${
        spent
          ? nothing
          : html`<p>We send a code to your work email. With the code, your card in this computer’s reader and a new PIN, your card works again.</p>
            <div class="actions">
              <button type="button" class=${this.sent ? 'secondary' : ''} ?disabled=${this.asking} @click=${this.askForCode}>
                ${this.asking ? 'Sending…' : this.sent ? 'Send another code' : 'Send me a code'}</button>
            </div>`
      }
      ${this.codeProblem ? html`<p class="message error" role="alert">${this.codeProblem}</p>` : nothing}
      ${
        this.sent && !spent
          ? html`<p class="message success" role="status" data-testid="code-sent">We sent a code to ${this.sent.sentTo}. It works until ${new Date(this.sent.expiresAt).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}, once.</p>`
          : nothing
      }
      ${
        this.sent
          ? html`<ra-card-job-runner kind="unlock" card-serial=${card.serial} pin-mode="new" with-code
              submit-label="Unlock with this code" @ra-job-ended=${this.unlockEnded}></ra-card-job-runner>`
          : nothing
      }
    </section>`;
  }
}
customElements.define('ra-my-card-page', RaMyCardPage);
