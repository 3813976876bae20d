import { Task } from '@lit/task';
import { html, LitElement } from 'lit';
import { ApiError, api, ok } from '../api/client.ts';
import '../components/ra-card-job-runner.ts';
import '../components/ra-loading.ts';
import { shared } from '../styles.ts';

/**
 * Issue a card to a person (RA agent, cards:issue), at an enrolled workstation: put a card
 * from stock in the reader, let the holder type their PIN (or issue it locked, for them to
 * set at first use), and follow the job on the card to its end. Offered from the person's
 * page when the server says the person may have one (`issueCard`: verified, active, holding
 * a position, no card in use).
 */
export class RaIssueCardPage extends LitElement {
  static override properties = { personId: { attribute: 'person-id' } };
  declare personId: string;
  static override styles = [shared];

  private person = new Task(this, {
    args: () => [this.personId] as const,
    task: async ([id], { signal }) => {
      const person = await ok(
        api.GET('/api/people/{id}', { params: { path: { id } }, signal }),
        signal,
      );
      const name = `${person.givenName} ${person.familyName}`;
      this.dispatchEvent(
        new CustomEvent('ra-page-title', {
          detail: `Issue a card to ${name}`,
          bubbles: true,
          composed: true,
        }),
      );
      return { name, offered: person.view === 'full' && person.actions.includes('issueCard') };
    },
  });

  constructor() {
    super();
    this.personId = '';
  }

  override render() {
    return this.person.render({
      pending: () =>
        html`<h1>Issue a card</h1><ra-loading label="Loading the person…"></ra-loading>`,
      error: (err) => html`<h1>Issue a card</h1>
        <p class="message error" role="alert">${err instanceof ApiError ? err.message : 'The person could not be loaded.'}</p>`,
      complete: ({ name, offered }) => html`
        <p><a href="/people/${this.personId}">← ${name}</a></p>
        <h1>Issue a card to ${name}</h1>
        ${
          offered
            ? html`<p>Take a blank card from stock and put it in this workstation’s reader. The card gets new keys and certificates naming ${name}; the PIN is typed by ${name} here and goes to the card only.</p>
              <ra-card-job-runner kind="issue" person-id=${this.personId} pin-mode="new" allow-locked
                submit-label="Issue the card"></ra-card-job-runner>`
            : html`<p class="message" data-testid="not-offered">A card is issued only to an active person whose identity is checked, who holds a position and has a work email, with no card in use; and not by you to yourself. <a href="/people/${this.personId}">Back to ${name}</a>.</p>`
        }`,
    });
  }
}
customElements.define('ra-issue-card-page', RaIssueCardPage);
