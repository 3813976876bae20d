import { Task } from '@lit/task';
import { css, html, LitElement, nothing } from 'lit';
import { ApiError, api, ok, type Schemas } from '../api/client.ts';
import '../components/ra-loading.ts';
import { count, dateTime } from '../format.ts';
import { shared } from '../styles.ts';

type JobRun = Schemas['JobRun'];

const outcomeWords: Record<JobRun['outcome'], string> = {
  running: 'Running',
  succeeded: 'Done',
  failed: 'Failed',
};
/**
 * How a run was started, said with when it started. Never a state: "queued" beside a run
 * long done read as if it were still waiting (the trigger `queue` means the app sent it to
 * the queue, after an import's Apply or at start-up); its outcome has a column of its own.
 */
const triggerWords: Record<JobRun['trigger'], string> = {
  schedule: 'on schedule',
  queue: 'sent by the app',
  manual: 'run now',
};

/** What a run counted, in words: "sent 3, failed 1" (zeros left out). */
const counted = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n)
    .map(([what, n]) => `${what} ${n}`)
    .join(', ') || 'nothing to do';

/** The background jobs, when each runs, and their latest runs (RA managers). */
export class RaBackgroundJobsPage extends LitElement {
  static override properties = { notice: { state: true }, running: { state: true } };
  declare notice: { text: string; error: boolean } | null;
  declare running: string | null;

  private data = new Task(this, {
    args: () => [] as const,
    task: async (_args, { signal }) =>
      ok(api.GET('/api/background/runs', { params: { query: { limit: 50 } }, signal }), signal),
  });

  static override styles = [
    shared,
    css`
      td button {
        padding: 0.2rem 0.7rem;
      }
      .notice:focus {
        outline: none;
      }
    `,
  ];

  constructor() {
    super();
    this.notice = null;
    this.running = null;
  }

  private async runNow(name: string) {
    this.notice = null;
    this.running = name;
    try {
      const run = await ok(
        api.POST('/api/background/jobs/{name}/runs', { params: { path: { name } } }),
      );
      this.notice = {
        text: `${name}: ${outcomeWords[run.outcome].toLowerCase()}, ${counted(run.counts)}.`,
        error: false,
      };
      void this.data.run();
    } catch (err) {
      this.notice = {
        text: err instanceof ApiError ? err.message : `${name} did not run. Try again.`,
        error: true,
      };
    }
    this.running = null;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('.notice')?.focus({ preventScroll: true });
  }

  override render() {
    return html`<section>
      <h1>Background jobs</h1>
      <p>Work the server does by itself: the expiry watch and its notices, ending positions past
        their end date, the revocation list, purges, mail. Every server process shares the
        queue; each run is listed here, whichever process ran it.</p>
      ${
        this.notice
          ? html`<p class="message notice ${this.notice.error ? 'error' : 'success'}" tabindex="-1"
              role=${this.notice.error ? 'alert' : 'status'}>${this.notice.text}</p>`
          : nothing
      }
      ${this.data.render({
        pending: () =>
          this.data.value
            ? this.renderData(this.data.value)
            : html`<ra-loading label="Loading background jobs…"></ra-loading>`,
        complete: (value) => this.renderData(value),
        error: (err) =>
          html`<p class="message error" role="alert">${err instanceof ApiError ? err.message : 'The background jobs could not be loaded.'}</p>`,
      })}
    </section>`;
  }

  private renderData(value: Schemas['JobRuns']) {
    // Mail is looked for every minute: a run that found nothing would bury the ones that did.
    const runs = value.runs.filter(
      (r) =>
        !(
          r.trigger === 'schedule' &&
          r.outcome === 'succeeded' &&
          Object.values(r.counts).every((n) => n === 0)
        ),
    );
    const idle = value.runs.length - runs.length;
    return html`<h2>Jobs</h2>
      <table class="stack">
        <thead><tr><th scope="col">Job</th><th scope="col">What it does</th><th scope="col">When (UK time)</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${value.jobs.map(
          (j) => html`<tr data-testid="job">
            <td data-label="Job">${j.name}</td>
            <td data-label="What it does">${j.description}</td>
            <td data-label="When">${j.when}</td>
            <td>${j.runByHand ? html`<button type="button" ?disabled=${this.running !== null} aria-label="Run now: ${j.name}" @click=${() => this.runNow(j.name)}>Run now</button>` : ''}</td>
          </tr>`,
        )}</tbody>
      </table>
      <h2>Latest runs</h2>
      ${
        idle
          ? html`<p class="muted" data-testid="idle-runs">${count(idle, 'scheduled run')} that found nothing to do ${idle === 1 ? 'is' : 'are'} not listed.</p>`
          : nothing
      }
      ${
        runs.length === 0
          ? html`<p data-testid="no-runs">No runs yet.</p>`
          : html`<table class="stack">
        <thead><tr><th scope="col">Job</th><th scope="col">Started</th><th scope="col">Outcome</th><th scope="col">Counts</th><th scope="col">Process</th></tr></thead>
        <tbody>${runs.map(
          (r) => html`<tr data-testid="job-run">
            <td data-label="Job">${r.job}</td>
            <td data-label="Started">${dateTime(r.startedAt)}, <span data-testid="trigger">${triggerWords[r.trigger]}</span></td>
            <td data-label="Outcome">${outcomeWords[r.outcome]}${r.error ? html`: ${r.error}` : nothing}</td>
            <td data-label="Counts">${counted(r.counts)}</td>
            <td data-label="Process">${r.process}</td>
          </tr>`,
        )}</tbody>
      </table>`
      }`;
  }
}
customElements.define('ra-background-jobs-page', RaBackgroundJobsPage);
