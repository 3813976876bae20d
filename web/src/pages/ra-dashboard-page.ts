import { Task } from '@lit/task';
import { css, html, LitElement } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { expiryWords, listHref } from '../card-lists.ts';
import { flagLabels, flagSeverity } from '../card-words.ts';
import '../components/ra-loading.ts';
import { dateTime, statusLabel } from '../format.ts';
import { shared } from '../styles.ts';

type Counted = { count: number; list: Schemas['DashboardList'] };

/** How urgent a count looks: red or amber when anything is in it. */
type Tone = 'red' | 'amber' | '';

/**
 * The RA dashboard (GET /api/dashboard): certificates expired and expiring, blocked PINs,
 * open card flags and cards by state, in the caller's organisations. Every count is a link
 * to the list behind it, which shows exactly the cards (or flags) counted.
 */
export class RaDashboardPage extends LitElement {
  static override styles = [
    shared,
    css`
      section.card h2 {
        margin-top: 0;
      }
      ul.counts {
        list-style: none;
        margin: 0.75rem 0 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr));
        gap: 0.75rem;
      }
      ul.counts a {
        display: block;
        height: 100%;
        box-sizing: border-box;
        padding: 0.6rem 0.8rem;
        border: 2px solid var(--ra-border);
        border-left-width: 6px;
        border-radius: 4px;
        text-decoration: none;
        color: var(--ra-text);
        background: var(--ra-white);
      }
      ul.counts a:hover {
        border-color: var(--ra-blue);
      }
      ul.counts a.red {
        border-left-color: var(--ra-red);
      }
      ul.counts a.amber {
        border-left-color: #ffb81c;
      }
      ul.counts a.none {
        color: var(--ra-muted);
      }
      .n {
        display: block;
        font-size: 1.75rem;
        font-weight: 700;
        line-height: 1.2;
        color: var(--ra-blue);
      }
      a.none .n {
        color: var(--ra-muted);
      }
      .what {
        display: block;
        font-weight: 600;
        text-decoration: underline;
      }
    `,
  ];

  private board = new Task(this, {
    args: () => [] as const,
    task: (_args, { signal }) => ok(api.GET('/api/dashboard', { signal }), signal),
  });

  override render() {
    return html`<h1>Dashboard</h1>
      ${this.board.render({
        pending: () => html`<ra-loading label="Counting the cards…"></ra-loading>`,
        error: (err) => html`<div class="message error" role="alert">
          <p>${err instanceof ApiError ? err.message : 'The dashboard could not be loaded.'}</p>
          <button type="button" class="secondary" @click=${() => this.board.run()}>Try again</button>
        </div>`,
        complete: (board) => this.renderBoard(board),
      })}`;
  }

  /** One count as a link to its list: "12 / Within 30 days", named in full for a screen reader. */
  private tile(id: string, counted: Counted, what: string, tone: Tone, hidden = '') {
    const none = counted.count === 0;
    return html`<li><a href=${listHref(counted.list)} data-testid="count-${id}" data-count=${counted.count}
        class=${none ? 'none' : tone}><span class="n">${counted.count.toLocaleString('en-GB')}</span>
        <span class="what">${what}<span class="visually-hidden">${hidden}</span></span></a></li>`;
  }

  private renderBoard(board: Schemas['Dashboard']) {
    const flags = board.openFlags.filter((f) => f.count > 0);
    return html`
      <p class="muted" data-testid="as-of">Cards and flags of your organisations, counted ${dateTime(board.asOf)}.</p>
      <section class="card" aria-labelledby="expiry-h" data-testid="section-expiry">
        <h2 id="expiry-h">Certificates expiring</h2>
        <p class="hint">Cards in use: issued, active, blocked or suspended. Each count includes the nearer ones: within 30 days includes within 7; expired cards are in none.</p>
        <ul class="counts">${board.expiry.buckets.map((b) =>
          this.tile(
            `expiry-${b.bucket}`,
            b,
            expiryWords[b.bucket],
            b.bucket === 'expired' ? 'red' : b.bucket === '7' ? 'amber' : '',
            b.bucket === 'expired'
              ? ': cards whose certificates have expired'
              : ': cards whose certificates expire',
          ),
        )}</ul>
      </section>
      <section class="card" aria-labelledby="pins-h" data-testid="section-pins">
        <h2 id="pins-h">Blocked PINs</h2>
        <p class="hint">Cards the RA has recorded as blocked, and PINs a workstation’s reader saw blocked (which may be cards not yet recorded as blocked, or not on record here).</p>
        <ul class="counts">
          ${this.tile('pins-cards', board.blockedPins.cards, 'Cards blocked', 'red')}
          ${this.tile('pins-flags', board.blockedPins.flags, 'Seen blocked by a reader', 'red', ': open PIN blocked flags')}
        </ul>
      </section>
      <section class="card" aria-labelledby="flags-h" data-testid="section-flags">
        <h2 id="flags-h">Open card flags</h2>
        ${
          flags.length
            ? html`<ul class="counts">${flags.map((f) =>
                this.tile(
                  `flag-${f.kind}`,
                  f,
                  flagLabels[f.kind],
                  flagSeverity[f.kind] as Tone,
                  ': open flags',
                ),
              )}</ul>`
            : html`<p data-testid="no-flags">No card flag is open.</p>`
        }
        <p><a href="/card-flags">All card flags</a></p>
      </section>
      <section class="card" aria-labelledby="states-h" data-testid="section-states">
        <h2 id="states-h">Cards by state</h2>
        <ul class="counts">${board.cardsByState.map((s) =>
          this.tile(`state-${s.state}`, s, statusLabel(s.state), '', ': cards'),
        )}</ul>
        <p><a href="/cards">All cards</a></p>
      </section>
    `;
  }
}
customElements.define('ra-dashboard-page', RaDashboardPage);
