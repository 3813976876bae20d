import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { css, html, LitElement, type PropertyValues } from 'lit';

// Only what the reports draw (bars, and a line for the median wait), so the rest of
// chart.js is left out of the build; this module is loaded with the reports page alone.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);
Chart.defaults.font.family = 'Arial, Helvetica, sans-serif';
Chart.defaults.color = '#212b32';

/** What one chart shows: bars (stacked or not), possibly with a line on a second axis. */
export type ReportChartConfig = ChartConfiguration<'bar' | 'line'>;

/**
 * One report's chart on a canvas. The canvas is an image to assistive technology, named by
 * `label`; the figures themselves are in the table the page puts beside it.
 */
export class RaReportChart extends LitElement {
  static override properties = {
    config: { attribute: false },
    label: {},
  };
  /** The chart.js configuration; a new object redraws the chart. */
  declare config: ReportChartConfig | null;
  /** What the chart shows, in words ("Bar chart of cards expiring each week"). */
  declare label: string;
  private chart: Chart<'bar' | 'line'> | null = null;

  static override styles = css`
    :host {
      display: block;
    }
    .frame {
      position: relative;
      width: 100%;
      height: 18rem;
    }
    @media (max-width: 40rem) {
      .frame {
        height: 15rem;
      }
    }
  `;

  constructor() {
    super();
    this.config = null;
    this.label = '';
  }

  override render() {
    return html`<div class="frame"><canvas role="img" aria-label=${this.label}></canvas></div>`;
  }

  override updated(changed: PropertyValues<this>) {
    if (!changed.has('config')) return;
    this.chart?.destroy();
    this.chart = null;
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas || !this.config) return;
    this.chart = new Chart(canvas, {
      ...this.config,
      options: { responsive: true, maintainAspectRatio: false, ...this.config.options },
    });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.chart?.destroy();
    this.chart = null;
  }
}
customElements.define('ra-report-chart', RaReportChart);
