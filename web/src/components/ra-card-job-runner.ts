import { css, html, LitElement, nothing } from 'lit';
import type { Schemas } from '../api/client.ts';
import { currentPinField, pinFields, pinProblems, pinsOf } from '../card-jobs/pin-fields.ts';
import { ReaderWatch } from '../card-jobs/reader-watch.ts';
import { showJobError, startCardJob, type WaitingJob } from '../card-jobs/start-job.ts';
import { shortSerial } from '../format.ts';
import { FormFeedback } from '../forms/form-feedback.ts';
import { shared } from '../styles.ts';
import './ra-card-job-progress.ts';

type Kind = Schemas['CardJobRequest']['kind'];
/** Which PIN the holder types: a new one (issue, unlock), their own for the card to check (self-service renew), none. */
export type PinMode = 'new' | 'current' | 'none';

/** The agent's words when the card refuses a PIN (reader/agent/card-job/pin-steps.ts). */
const wrongPin = /did not accept the PIN/i;
/** "The card did not accept the PIN: 2 tries left before it blocks." said to the holder, by the field. */
const pinRefusal = (failure: string) => {
  const left = /:\s*(.+)$/.exec(failure)?.[1];
  return left ? `That is not your PIN: ${left}` : 'That is not your PIN.';
};

/** A holder choosing their own new PIN (My card) is spoken to, not of. */
const ownPinLabels = { pin: 'New PIN', confirmation: 'New PIN again', hint: '6 to 8 digits' };

/**
 * One card job from start to end, for the pages that ask for one: the reader's state live
 * from the agent on this computer, the form (the PIN typed by the holder; for issuing, the
 * choice to issue locked; for self-service unlock, the one-time code), then the job's
 * progress from the server. The PIN goes to the agent only. Fires `ra-job-ended` (from the
 * progress) when the job has succeeded or failed.
 */
export class RaCardJobRunner extends LitElement {
  static override properties = {
    kind: {},
    cardSerial: { attribute: 'card-serial' },
    personId: { attribute: 'person-id' },
    pinMode: { attribute: 'pin-mode' },
    allowLocked: { type: Boolean, attribute: 'allow-locked' },
    withCode: { type: Boolean, attribute: 'with-code' },
    submitLabel: { attribute: 'submit-label' },
    locked: { state: true },
    jobId: { state: true },
    sending: { state: true },
    ended: { state: true },
    running: { state: true },
  };
  declare kind: Kind;
  /** The card the job is for (unlock, renew); empty: the card in the reader (issue). */
  declare cardSerial: string;
  declare personId: string;
  declare pinMode: PinMode;
  /** Issue: offer "issue locked: the holder sets their PIN at first use". */
  declare allowLocked: boolean;
  /** Self-service unlock: ask for the one-time code sent to the holder's work email. */
  declare withCode: boolean;
  declare submitLabel: string;
  declare locked: boolean;
  declare jobId: string;
  declare sending: boolean;
  declare ended: Schemas['CardJob'] | null;
  /** The agent has started the job: it is working on the card, and the form stays away. */
  declare running: boolean;
  private reader = new ReaderWatch(this);
  private feedback = new FormFeedback(this);
  private waiting: { job: WaitingJob | null } = { job: null };

  static override styles = [
    shared,
    css`
      fieldset {
        border: 0;
        padding: 0;
        margin: 1rem 0 0;
        min-width: 0;
      }
      legend {
        font-weight: 600;
        padding: 0;
      }
      label.choice {
        display: flex;
        gap: 0.5rem;
        align-items: flex-start;
        font-weight: 400;
        margin: 0.5rem 0;
      }
      label.choice input {
        margin-top: 0.3rem;
      }
    `,
  ];

  constructor() {
    super();
    this.kind = 'issue';
    this.cardSerial = '';
    this.personId = '';
    this.pinMode = 'none';
    this.allowLocked = false;
    this.withCode = false;
    this.submitLabel = 'Start';
    this.locked = false;
    this.jobId = '';
    this.sending = false;
    this.ended = null;
    this.running = false;
  }

  /** Issuing takes a blank card from stock: a card holding someone's certificates will not do. */
  private get blank(): boolean {
    return this.kind === 'issue';
  }

  /** The holder doing it themself (My card): the page speaks to them. */
  private get self(): boolean {
    return this.withCode || this.pinMode === 'current';
  }

  private get pinAsked(): PinMode {
    return this.allowLocked && this.locked ? 'none' : this.pinMode;
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const extra = this.pinAsked === 'new' ? pinProblems(form) : [];
    if (!this.feedback.check(form, extra)) return;
    const workstation = this.reader.workstation;
    const card = this.reader.cardFor(this.cardSerial || undefined, this.blank);
    if (!workstation || !card) {
      this.feedback.show(
        !workstation
          ? 'No card job can run on this computer: see the reader’s state above.'
          : this.cardSerial
            ? `Put card ${shortSerial(this.cardSerial)} in the reader first.`
            : 'Put the card in the reader first.',
      );
      return;
    }
    const code = String(new FormData(form).get('code') ?? '').replace(/\s+/g, '');
    this.sending = true;
    try {
      this.jobId = await startCardJob(
        {
          kind: this.kind,
          cardSerial: card.serial,
          workstationId: workstation.id,
          ...(this.personId ? { personId: this.personId } : {}),
          ...(this.allowLocked ? { issuedLocked: this.locked } : {}),
          ...(this.withCode ? { code } : {}),
        },
        { reader: card.reader, ...(this.pinAsked === 'none' ? {} : pinsOf(form)) },
        this.waiting,
      );
      // The PIN is not kept on the page once the agent has it.
      form.reset();
      this.feedback.clear();
    } catch (err) {
      showJobError(this.feedback, err);
    } finally {
      this.sending = false;
    }
  }

  private jobState(event: CustomEvent<Schemas['CardJob']>) {
    this.running = event.detail.state === 'running';
  }

  private async jobEnded(event: CustomEvent<Schemas['CardJob']>) {
    this.waiting.job = null;
    this.running = false;
    const job = event.detail;
    // The holder's own PIN refused by the card (self-service renewal): nothing was changed,
    // so it is a mistake in a field, said beside that field, and the form is there to retry.
    if (job.state === 'failed' && this.pinAsked === 'current' && wrongPin.test(job.failure ?? '')) {
      this.jobId = '';
      this.ended = null;
      // The form is drawn again first, so the summary names the field by its label.
      await this.updateComplete;
      this.feedback.show('The card did not accept your PIN.', [
        { field: 'pin', message: pinRefusal(job.failure ?? '') },
      ]);
      return;
    }
    this.ended = job;
  }

  /** Back to the form: after a failure, or a job the agent has not started (or could not). */
  private again() {
    if (this.ended) this.waiting.job = null;
    this.jobId = '';
    this.ended = null;
    this.running = false;
  }

  /** A failed job whose card has left the reader: most likely taken out while it ran. */
  private cardGone(job: Schemas['CardJob']) {
    return (
      job.state === 'failed' &&
      this.reader.loaded &&
      !this.reader.problem &&
      !this.reader.cardFor(job.card.serial)
    );
  }

  override render() {
    if (this.jobId) {
      const ended = this.ended;
      return html`<ra-card-job-progress job-id=${this.jobId} ?card-gone=${!!ended && this.cardGone(ended)}
          @ra-job-state=${this.jobState} @ra-job-ended=${this.jobEnded}></ra-card-job-progress>
        ${
          // While the workstation works on the card there is nothing to go back to.
          ended?.state === 'succeeded' || this.running
            ? nothing
            : html`<div class="actions"><button type="button" class="secondary" @click=${this.again}>${ended ? 'Start again' : 'Back to the form'}</button></div>`
        }`;
    }
    const ready =
      !!this.reader.workstation && !!this.reader.cardFor(this.cardSerial || undefined, this.blank);
    const f = this.feedback;
    return html`<section class="card" aria-labelledby="reader-h">
        <h2 id="reader-h">Card reader</h2>
        ${this.reader.render(this.cardSerial || undefined, this.blank)}
      </section>
      <form novalidate @submit=${this.submit} class="card">
        ${f.summary()}
        ${
          this.withCode
            ? html`<div>
                <label for="code">Code from your email <span class="hint">8 digits</span></label>
                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required
                  pattern="[0-9 ]{8,9}" maxlength="9" size="10" title="Type the 8 digits of the code"
                  aria-invalid=${f.invalid('code') ? 'true' : 'false'} aria-describedby=${f.describedBy('code')} />
                ${f.errorFor('code')}
              </div>`
            : nothing
        }
        ${
          this.allowLocked
            ? html`<fieldset>
                <legend>The card’s PIN</legend>
                <label class="choice"><input type="radio" name="pinChoice" value="now" .checked=${!this.locked}
                  @change=${() => {
                    this.locked = false;
                  }} /> The holder sets their PIN now, typing it here</label>
                <label class="choice"><input type="radio" name="pinChoice" value="locked" .checked=${this.locked}
                  @change=${() => {
                    this.locked = true;
                  }} /> Issue locked: the holder sets their PIN at first use, with a code sent to their work email</label>
              </fieldset>`
            : nothing
        }
        ${
          this.pinAsked === 'new'
            ? pinFields(f, this.self ? ownPinLabels : undefined)
            : this.pinAsked === 'current'
              ? currentPinField(f)
              : nothing
        }
        <div class="actions">
          ${
            ready
              ? html`<button type="submit" ?disabled=${this.sending}>${this.sending ? 'Starting…' : this.submitLabel}</button>`
              : html`<p class="muted" data-testid="not-ready">${this.submitLabel} is offered once the card is in the reader of an enrolled workstation.</p>`
          }
        </div>
      </form>`;
  }
}
customElements.define('ra-card-job-runner', RaCardJobRunner);
