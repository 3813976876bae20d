import { css, html, LitElement } from 'lit';

/** Says that a page or a part of it is loading, to the eye and to a screen reader. */
export class RaLoading extends LitElement {
  static override properties = { label: {} };
  declare label: string;

  static override styles = css`
    p {
      color: var(--ra-muted);
      margin: 0.75rem 0;
      display: flex;
      gap: 0.5rem;
      align-items: center;
    }
    span.spinner {
      width: 1rem;
      height: 1rem;
      border: 3px solid var(--ra-border);
      border-top-color: var(--ra-blue);
      border-radius: 50%;
      animation: spin 0.8s linear infinite;
    }
    @keyframes spin {
      to {
        transform: rotate(360deg);
      }
    }
    @media (prefers-reduced-motion: reduce) {
      span.spinner {
        animation: none;
      }
    }
  `;

  constructor() {
    super();
    this.label = 'Loading…';
  }

  override render() {
    return html`<p role="status"><span class="spinner" aria-hidden="true"></span>${this.label}</p>`;
  }
}

customElements.define('ra-loading', RaLoading);
