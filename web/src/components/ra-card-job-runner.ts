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
    const card = this.reader.cardFor(this.cardSerial || undefined);
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

  private jobEnded(event: CustomEvent<Schemas['CardJob']>) {
    this.waiting.job = null;
    this.ended = event.detail;
  }

  /** Back to the form: after a failure, or a job the agent could not start. */
  private again() {
    if (this.ended) this.waiting.job = null;
    this.jobId = '';
    this.ended = null;
  }

  override render() {
    if (this.jobId) {
      return html`<ra-card-job-progress job-id=${this.jobId} @ra-job-ended=${this.jobEnded}></ra-card-job-progress>
        ${
          this.ended?.state === 'succeeded'
            ? nothing
            : html`<div class="actions"><button type="button" class="secondary" @click=${this.again}>${this.ended ? 'Start again' : 'Back to the form'}</button></div>`
        }`;
    }
    const ready = !!this.reader.workstation && !!this.reader.cardFor(this.cardSerial || undefined);
    const f = this.feedback;
    return html`<section class="card" aria-labelledby="reader-h">
        <h2 id="reader-h">Card reader</h2>
        ${this.reader.render(this.cardSerial || undefined)}
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
        ${this.pinAsked === 'new' ? pinFields(f) : this.pinAsked === 'current' ? currentPinField(f) : nothing}
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
