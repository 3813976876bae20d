import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import { AgentError, agentJob } from '../card-jobs/local-agent.ts';
import { shortSerial, systemLabels } from '../format.ts';
import { shared } from '../styles.ts';

type CardJob = Schemas['CardJob'];

/** How often the page asks the server how the job is going. */
const pollMs = 500;

const doneWords: Record<CardJob['kind'], (job: CardJob) => string> = {
  issue: (j) =>
    j.issuedLocked
      ? `Card ${shortSerial(j.card.serial)} is issued to ${j.person.name}, locked: they set their PIN at first use, by unlocking it with a code sent to their work email.`
      : `Card ${shortSerial(j.card.serial)} is issued to ${j.person.name} and active.`,
  renew: (j) =>
    j.selfService
      ? 'Your card has new certificates; the old ones are revoked.'
      : `Card ${shortSerial(j.card.serial)} has new certificates; the old ones are revoked as superseded.`,
  unlock: (j) =>
    j.selfService
      ? 'Your card is unlocked, with your new PIN.'
      : `Card ${shortSerial(j.card.serial)} is unlocked, with the new PIN.`,
};

/**
 * What the holder can do with the card now, in words for whoever reads the page: the holder
 * themself (self-service) or the person at the desk. The server names the systems for an
 * issue or an unlock, not for a renewal, which changes no access.
 */
function systemsWords(job: CardJob): string {
  const you = job.selfService;
  if (job.kind === 'renew') {
    return you
      ? 'Use it as before, with the same PIN.'
      : `${job.person.name} uses it as before, with the same PIN.`;
  }
  const systems = job.systems.map((s) => systemLabels[s] ?? s).join(', ');
  if (!systems) {
    return you
      ? 'Your positions give you no system yet: your sponsor approves positions for that.'
      : `${job.person.name}’s positions give no system yet: a sponsor approves positions for that.`;
  }
  if (job.kind === 'issue' && job.issuedLocked) {
    return `Once they have set their PIN, ${job.person.name} can log in to ${systems} with it.`;
  }
  return you
    ? `You can log in to ${systems} with it.`
    : `${job.person.name} can log in to ${systems} with it.`;
}

/**
 * A step in words. Issued locked, the PIN the agent sets is a random one nobody is told, not
 * "the new PIN" the person at the desk may think they were meant to type.
 */
function stepText(job: CardJob, step: CardJob['steps'][number]): string {
  if (step.step === 'pin_set' && step.outcome === 'ok' && job.issuedLocked) {
    return 'A PIN nobody knows was set: the card stays locked until the holder sets their own';
  }
  return step.words;
}

/** What to do after a failure, by kind: nothing a failed job made is trusted. */
const afterFailure: Record<CardJob['kind'], string> = {
  issue:
    'Nothing this job made is trusted: any certificate it issued is revoked. Leave the card in the reader and issue it again; if it fails again, put the card aside and use another.',
  renew:
    'The card keeps its old certificates until they expire; any new one this job made is revoked. Leave the card in the reader and renew again.',
  unlock:
    'The card’s PIN is as it was. Leave the card in the reader and try again; if it fails again, take the card to the RA desk.',
};

/** What to do when the card left the reader mid-job. */
const afterGone: Record<CardJob['kind'], string> = {
  issue:
    'Nothing this job made is trusted: any certificate it issued is revoked. Put the card back in and issue it again.',
  renew:
    'The card keeps its old certificates until they expire. Put the card back in and renew again.',
  unlock: 'Put the card back in and unlock it again; the holder types their new PIN again.',
};

/**
 * A card job's progress, live from the server (every half second): each step the agent
 * reported, in words, and how it ended. Until the agent starts the job the server knows
 * nothing of it, so the agent's own word is asked too: a job it could not start (the wrong
 * card, the reader emptied) is said at once, not after five minutes. Fires `ra-job-ended`
 * with the job when it has succeeded or failed, and `ra-job-state` with it at every look.
 */
export class RaCardJobProgress extends LitElement {
  static override properties = {
    jobId: { attribute: 'job-id' },
    job: { state: true },
    agentProblem: { state: true },
    problem: { state: true },
    cardGone: { type: Boolean, attribute: 'card-gone' },
  };
  declare jobId: string;
  /** Set by the page: the job's card is no longer in the reader (taken out while it ran). */
  declare cardGone: boolean;
  declare job: CardJob | null;
  /** The agent's word on a job the server has not seen start. */
  declare agentProblem: string;
  /** Why the server could not be asked. */
  declare problem: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private aborter: AbortController | null = null;

  static override styles = [
    shared,
    css`
      ol {
        padding-left: 1.5rem;
      }
      li {
        margin: 0.25rem 0;
        overflow-wrap: anywhere;
      }
      li.failed {
        color: var(--ra-red);
        font-weight: 600;
      }
    `,
  ];

  constructor() {
    super();
    this.jobId = '';
    this.job = null;
    this.agentProblem = '';
    this.problem = '';
    this.cardGone = false;
  }

  override connectedCallback() {
    super.connectedCallback();
    if (this.jobId) void this.poll();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.stop();
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('jobId') && changed.get('jobId') !== undefined && this.isConnected) {
      this.stop();
      this.job = null;
      this.agentProblem = '';
      if (this.jobId) void this.poll();
    }
  }

  private stop() {
    clearTimeout(this.timer);
    this.aborter?.abort();
    this.aborter = null;
  }

  private async poll() {
    const aborter = new AbortController();
    this.aborter = aborter;
    const { signal } = aborter;
    const id = this.jobId;
    try {
      const job = await ok(
        api.GET('/api/card-jobs/{id}', { params: { path: { id } }, signal }),
        signal,
      );
      this.job = job;
      this.problem = '';
      this.dispatchEvent(
        new CustomEvent('ra-job-state', { detail: job, bubbles: true, composed: true }),
      );
      if (job.state === 'pending') {
        const agent = await agentJob(id, signal).catch((err: unknown) => {
          if (signal.aborted) throw err;
          return {
            state: 'unknown',
            step: null,
            error: err instanceof AgentError ? err.message : null,
          };
        });
        this.agentProblem = agent.state === 'failed' && agent.error ? agent.error : '';
      } else {
        this.agentProblem = '';
      }
      if (job.state === 'succeeded' || job.state === 'failed') {
        this.dispatchEvent(
          new CustomEvent('ra-job-ended', { detail: job, bubbles: true, composed: true }),
        );
        return;
      }
    } catch (err) {
      if (signal.aborted) return;
      this.problem =
        err instanceof ApiError ? err.message : 'The server did not answer; asking again.';
      if (err instanceof ApiError && err.status === 404) return;
    }
    if (this.aborter === aborter) this.timer = setTimeout(() => void this.poll(), pollMs);
  }

  override render() {
    const job = this.job;
    if (!job) {
      return html`${this.problem ? html`<p class="message error" role="alert">${this.problem}</p>` : html`<p role="status">Waiting for the workstation…</p>`}`;
    }
    const ended = job.state === 'succeeded' || job.state === 'failed';
    return html`<section class="card" aria-labelledby="progress-h" data-testid="job-progress" data-state=${job.state}>
      <h2 id="progress-h">${ended ? (job.state === 'succeeded' ? 'Done' : 'It did not work') : 'Working on the card…'}</h2>
      ${ended ? nothing : html`<p class="muted">Leave the card in the reader until this says it is done.</p>`}
      <ol aria-live="polite" data-testid="job-steps">
        ${job.state === 'pending' && !this.agentProblem ? html`<li>Waiting for the workstation to find the card</li>` : nothing}
        ${job.steps.map(
          (s) =>
            html`<li class=${s.outcome === 'failed' ? 'failed' : ''}>${stepText(job, s)} <span class="muted">${new Date(s.at).toLocaleTimeString('en-GB')}</span></li>`,
        )}
      </ol>
      ${this.problem ? html`<p class="message error">${this.problem}</p>` : nothing}
      ${
        this.agentProblem
          ? html`<div class="message error" role="alert" data-testid="job-failure"><p>The workstation could not start: ${this.agentProblem}</p><p>Put the right card in the reader and start again.</p></div>`
          : nothing
      }
      ${job.state === 'succeeded' ? this.renderSuccess(job) : nothing}
      ${
        job.state === 'failed'
          ? this.cardGone
            ? // Said first in plain words; the reader's own words stay for whoever helps.
              html`<div class="message error" role="alert" data-testid="job-failure">
                <p><strong data-testid="card-gone">Card ${shortSerial(job.card.serial)} was taken out of the reader before the job finished.</strong></p>
                <p>${afterGone[job.kind]}</p>
                ${
                  /taken out/i.test(job.failure ?? '')
                    ? nothing
                    : html`<p class="muted">What the reader said: ${job.failure ?? 'nothing'}</p>`
                }
              </div>`
            : html`<div class="message error" role="alert" data-testid="job-failure">
              <p><strong>${job.failure ?? 'The job failed.'}</strong></p>
              <p>${afterFailure[job.kind]}</p>
            </div>`
          : nothing
      }
    </section>`;
  }

  private renderSuccess(job: CardJob) {
    return html`<div class="message success" role="status" data-testid="job-success">
      <p><strong>${doneWords[job.kind](job)}</strong></p>
      <p data-testid="job-systems">${systemsWords(job)}</p>
      ${
        job.selfService
          ? nothing
          : html`<p><a href="/cards/${encodeURIComponent(job.card.serial)}">See card ${shortSerial(job.card.serial)}</a></p>`
      }
    </div>`;
  }
}
customElements.define('ra-card-job-progress', RaCardJobProgress);
