import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { shortSerial } from '../format.ts';
import {
  AgentError,
  type AgentStatus,
  agentCards,
  agentStatus,
  type ReaderCard,
  type UnreadableCard,
} from './local-agent.ts';

/** How often the page asks the agent again, so a card put in or taken out shows by itself. */
const pollMs = 1000;

export const notEnrolled =
  'This computer is not an enrolled workstation: its reader agent runs no card jobs. Use a workstation at the RA desk, or ask an RA manager to enrol this one.';

/**
 * Watches the reader agent on this computer for a page: whether it runs, whether it is an
 * enrolled workstation (it runs card jobs), and which card is in its reader, asked every
 * second while the page is shown. Only one look runs at a time.
 */
export class ReaderWatch implements ReactiveController {
  status: AgentStatus | null = null;
  cards: (ReaderCard | UnreadableCard)[] = [];
  /** Why the agent could not be asked; empty while it answers. */
  problem = '';
  /** False until the first look has answered. */
  loaded = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private aborter: AbortController | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected() {
    void this.look();
  }

  hostDisconnected() {
    clearTimeout(this.timer);
    this.aborter?.abort();
    this.aborter = null;
  }

  private async look() {
    const aborter = new AbortController();
    this.aborter = aborter;
    try {
      const [status, cards] = await Promise.all([
        agentStatus(aborter.signal),
        agentCards(aborter.signal),
      ]);
      this.status = status;
      this.cards = cards.cards;
      this.problem = '';
    } catch (err) {
      if (aborter.signal.aborted) return;
      this.status = null;
      this.cards = [];
      this.problem = err instanceof AgentError ? err.message : 'The reader agent did not answer.';
    }
    this.loaded = true;
    this.host.requestUpdate();
    if (this.aborter === aborter) this.timer = setTimeout(() => void this.look(), pollMs);
  }

  /** The workstation a job can run on, or null (the agent is not running, or not enrolled). */
  get workstation() {
    return this.status?.jobs ? this.status.workstation : null;
  }

  /** The cards the agent read in full, with their serial. */
  get readable(): (ReaderCard & { serial: string })[] {
    return this.cards.filter(
      (c): c is ReaderCard & { serial: string } => !('error' in c) && !!c.serial,
    );
  }

  /**
   * The card for a job: the one in the reader, or the one with this serial if given. With
   * `blank`, only a card that holds no one's certificates (a card from stock) will do.
   */
  cardFor(serial?: string, blank = false): (ReaderCard & { serial: string }) | null {
    const cards = this.readable;
    const card = serial
      ? (cards.find((c) => c.serial.toLowerCase() === serial.toLowerCase()) ?? null)
      : cards.length === 1
        ? (cards[0] ?? null)
        : null;
    return card && blank && card.holder.name ? null : card;
  }

  /**
   * The reader's state in words, live: what card it holds, or why no job can run here. With
   * `serial`, a card other than that one is said to be the wrong card; with `blank` (issuing),
   * a card that already holds someone's certificates is.
   */
  render(serial?: string, blank = false) {
    if (!this.loaded) {
      return html`<p role="status" data-testid="reader-status">Asking the card reader on this computer…</p>`;
    }
    let text: unknown;
    let kind = '';
    const unreadable = this.cards.filter((c): c is UnreadableCard => 'error' in c);
    if (this.problem) {
      text = this.problem;
      kind = 'error';
    } else if (!this.status?.jobs) {
      text = notEnrolled;
      kind = 'error';
    } else if (this.readable.length === 0) {
      text = unreadable.length
        ? `The card in ${unreadable[0]?.reader} could not be read: ${unreadable[0]?.error}. Take it out and put it back.`
        : 'No card in the reader: put the card in.';
    } else if (serial && !this.cardFor(serial)) {
      text = `The reader holds card ${this.readable.map((c) => shortSerial(c.serial)).join(', ')}, not card ${shortSerial(serial)}: put card ${shortSerial(serial)} in.`;
      kind = 'error';
    } else if (!serial && this.readable.length > 1) {
      text = 'More than one card is in the readers: leave only the card to use.';
      kind = 'error';
    } else if (blank && !this.cardFor(serial, true)) {
      const card = this.cardFor(serial);
      text = `Card ${shortSerial(card?.serial ?? '')} in the reader is not a blank card: it holds ${card?.holder.name}’s certificates. Take it out and put in a blank card from stock.`;
      kind = 'error';
    } else {
      const card = this.cardFor(serial);
      text = html`Card <strong data-testid="reader-serial" data-serial=${card?.serial ?? ''} title=${card?.serial ?? ''}>${shortSerial(card?.serial ?? '')}</strong> is in the reader${
        blank ? ', blank and ready to issue' : ''
      }${card?.pin.blocked ? '; its PIN is blocked' : ''}. <span class="muted">(${card?.reader})</span>`;
      kind = 'success';
    }
    return html`<div class="message ${kind}" role="status" aria-live="polite" data-testid="reader-status">
      <p>${text}</p>
      ${this.workstation ? html`<p class="muted">Workstation: ${this.workstation.name}</p>` : nothing}
    </div>`;
  }
}
