import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import type { CardSummary } from '../../../reader/agent/card-summary.ts';
import { defaultLocalPort } from '../../../reader/local-api/default-port.ts';
import '../components/ra-loading.ts';
import { count, date } from '../format.ts';
import { shared } from '../styles.ts';

/** Renewal opens this many days before expiry (DOMAIN.md). */
const renewalWindowDays = 90;

type Card = CardSummary | { reader: string; error: string };

/** What one look at the reader found: the cards in it, or why it could not be asked. */
interface Reading {
  cards: Card[];
  problem: string;
}

/** How often the page asks the agent again, so a card put in or taken out shows by itself. */
const pollMs = 2000;

/**
 * "Check my card", open without signing in: asks the reader agent on this workstation
 * (127.0.0.1) what card is in the reader, and tells the holder when it expires, whether
 * they can renew, their PIN state, and what to do next.
 */
export class RaCheckCardPage extends LitElement {
  static override properties = {
    tick: { state: true },
    signedIn: { type: Boolean, attribute: 'signed-in' },
  };
  /** Counts the looks at the reader: each new value asks the agent again. */
  declare tick: number;
  /** Shown inside the app's shell, which has the page's `main` and the way out. */
  declare signedIn: boolean;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** The last look at the reader; a look still running when the next starts is cancelled. */
  private reading = new Task(this, {
    args: () => [this.tick] as const,
    task: (_args, { signal }) => this.read(signal),
  });

  static override styles = [
    shared,
    css`
      main {
        max-width: 44rem;
        margin: 2rem auto;
        padding: 0 1rem;
      }
      .big {
        font-size: 1.3rem;
        font-weight: 700;
      }
    `,
  ];

  constructor() {
    super();
    this.tick = 0;
    this.signedIn = false;
  }

  private get agentUrl() {
    const port =
      Number(new URLSearchParams(window.location.search).get('agentPort')) || defaultLocalPort;
    return `http://127.0.0.1:${port}/cards`;
  }

  override connectedCallback() {
    super.connectedCallback();
    this.timer = setInterval(() => {
      this.tick++;
    }, pollMs);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    if (this.timer) clearInterval(this.timer);
  }

  /** Asks the agent on this computer; only a cancellation rejects. */
  private async read(signal: AbortSignal): Promise<Reading> {
    try {
      const res = await fetch(this.agentUrl, { cache: 'no-store', signal });
      const body = (await res.json()) as { cards?: Card[]; error?: { message: string } };
      if (!res.ok) throw new Error(body.error?.message ?? `The agent answered ${res.status}.`);
      return { cards: body.cards ?? [], problem: '' };
    } catch (err) {
      if (signal.aborted) throw err;
      return {
        cards: [],
        problem:
          err instanceof TypeError
            ? 'The card reader agent is not running on this computer. Ask your IT service desk, or use a workstation at the RA desk.'
            : (err as Error).message,
      };
    }
  }

  private renderCard(card: Card) {
    if ('error' in card) {
      return html`<section class="card"><p class="message error">The card in ${card.reader} could not be read: ${card.error}. Take it out and put it back.</p></section>`;
    }
    const days = card.daysLeft;
    const advice = card.pin.blocked
      ? html`<p class="message error"><strong>Your card is locked</strong> (too many wrong passcodes). Unlock it with a code sent to your work email, or ask your local smartcard administrator or the RA desk.</p>`
      : days === null
        ? html`<p class="message">This card has no certificate. Visit the RA desk.</p>`
        : days < 0
          ? html`<p class="message error"><strong>Your certificate has expired.</strong> Only the RA team can renew it now: take your card to the RA desk.</p>`
          : days <= renewalWindowDays
            ? html`<p class="message"><strong>You can renew now.</strong> Your certificate expires in ${count(days, 'day')}; renew it before then to keep logging in.</p>`
            : html`<p class="message success">Nothing to do: your card is good until ${date(card.expiresAt)}.</p>`;
    return html`<section class="card" data-testid="card">
      <p class="big">${card.holder.name ?? 'Unknown holder'}</p>
      <dl>
        <dt>User ID</dt><dd>${card.holder.userId ? card.holder.userId.replace(/(\d{4})(?=\d)/g, '$1 ') : 'not on the card'}</dd>
        <dt>Certificate expires</dt><dd data-testid="expiry">${card.expiresAt ? `${date(card.expiresAt)} (${days !== null && days < 0 ? `${count(-days, 'day')} ago` : `${count(days ?? 0, 'day')} left`})` : 'no certificate'}</dd>
        <dt>Passcode</dt><dd data-testid="pin">${card.pin.blocked ? 'locked' : card.pin.triesLeft === null ? 'unknown' : `${count(card.pin.triesLeft, 'try', 'tries')} left${card.pin.triesLeft === 1 ? ': one more wrong passcode locks the card' : ''}`}</dd>
        <dt>Reader</dt><dd>${card.reader}</dd>
      </dl>
      ${advice}
    </section>`;
  }

  private renderReading(reading: Reading | undefined) {
    // Only the first look shows as loading: later looks keep what the last one found.
    if (!reading) return html`<ra-loading label="Looking for your card…"></ra-loading>`;
    return html`<div role="status" aria-live="polite">
        ${reading.problem ? html`<p class="message error">${reading.problem}</p>` : nothing}
        ${!reading.problem && reading.cards.length === 0 ? html`<p class="message">No card in the reader.</p>` : nothing}
      </div>
      ${reading.cards.map((c) => this.renderCard(c))}`;
  }

  override render() {
    const content = html`<h1>Check my card</h1>
      <p>Put your smart card in the reader. This page asks the card reader on this computer; nothing is sent anywhere else, and it never asks for your passcode.</p>
      ${this.renderReading(this.reading.value)}`;
    if (this.signedIn) return content;
    return html`<main>
      ${content}
      <p><a href="/login">Sign in to Smartcard RA</a></p>
    </main>`;
  }
}
customElements.define('ra-check-card-page', RaCheckCardPage);
