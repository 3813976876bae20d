import { css } from 'lit';

/** Styles every page shares: type, forms, buttons, tables, messages. */
export const shared = css`
  :host {
    display: block;
    font-family: var(--ra-font);
    color: var(--ra-text);
  }
  h1 {
    font-size: 1.75rem;
    margin: 0 0 1rem;
  }
  h2 {
    font-size: 1.25rem;
    margin: 1.5rem 0 0.75rem;
  }
  a {
    color: var(--ra-blue);
  }
  a:focus-visible,
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible,
  summary:focus-visible {
    outline: 3px solid var(--ra-focus);
    outline-offset: 0;
    box-shadow: 0 0 0 5px var(--ra-text);
  }
  .card {
    background: var(--ra-white);
    border: 1px solid var(--ra-border);
    border-radius: 6px;
    padding: 1.25rem 1.5rem;
    margin-bottom: 1.25rem;
  }
  .card > :first-child {
    margin-top: 0;
  }
  label {
    display: block;
    font-weight: 600;
    margin: 0.75rem 0 0.25rem;
  }
  .hint {
    display: block;
    font-weight: 400;
    color: var(--ra-muted);
    font-size: 0.9rem;
  }
  input,
  select,
  textarea {
    font: inherit;
    padding: 0.45rem 0.6rem;
    border: 2px solid var(--ra-text);
    border-radius: 4px;
    background: var(--ra-white);
    color: var(--ra-text);
    box-sizing: border-box;
    max-width: 100%;
  }
  input[aria-invalid='true'],
  select[aria-invalid='true'] {
    border-color: var(--ra-red);
  }
  .field-error {
    color: var(--ra-red);
    font-weight: 600;
    margin: 0.25rem 0 0;
    /* A message may name a 32-character card serial: it wraps rather than scroll sideways. */
    overflow-wrap: anywhere;
  }
  button {
    font: inherit;
    font-weight: 600;
    padding: 0.5rem 1rem;
    border-radius: 4px;
    border: 2px solid var(--ra-blue);
    background: var(--ra-blue);
    color: var(--ra-white);
    cursor: pointer;
  }
  button:hover {
    background: var(--ra-blue-dark);
    border-color: var(--ra-blue-dark);
  }
  button.secondary {
    background: var(--ra-white);
    color: var(--ra-blue);
  }
  button.secondary:hover {
    background: #e8f1f8;
  }
  button.danger {
    background: var(--ra-red);
    border-color: var(--ra-red);
  }
  /* A link that leads to a page where the action is taken, looking like the button it is. */
  a.button {
    display: inline-block;
    font-weight: 600;
    padding: 0.5rem 1rem;
    border-radius: 4px;
    border: 2px solid var(--ra-blue);
    background: var(--ra-blue);
    color: var(--ra-white);
    text-decoration: none;
  }
  a.button.secondary {
    background: var(--ra-white);
    color: var(--ra-blue);
  }
  button:disabled {
    opacity: 0.6;
    cursor: not-allowed;
  }
  .actions {
    display: flex;
    gap: 0.75rem;
    flex-wrap: wrap;
    margin-top: 1rem;
    align-items: center;
  }
  .message {
    border-left: 6px solid var(--ra-blue);
    background: var(--ra-white);
    padding: 0.75rem 1rem;
    margin: 0 0 1rem;
    overflow-wrap: anywhere;
  }
  .message.error {
    border-color: var(--ra-red);
  }
  .message.success {
    border-color: var(--ra-green);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    background: var(--ra-white);
  }
  th,
  td {
    text-align: left;
    padding: 0.5rem 0.75rem;
    border-bottom: 1px solid var(--ra-border);
    vertical-align: top;
  }
  th {
    font-weight: 600;
    background: #e8edee;
  }
  .tag {
    display: inline-block;
    padding: 0.05rem 0.5rem;
    border-radius: 3px;
    font-size: 0.85rem;
    font-weight: 600;
    background: #e8edee;
    color: var(--ra-text);
  }
  .tag.green {
    background: #cce5d8;
    color: #00401e;
  }
  .tag.red {
    background: #f7d4d1;
    color: #6b140e;
  }
  .tag.amber {
    background: #ffe9b3;
    color: #5c3d00;
  }
  .muted {
    color: var(--ra-muted);
  }
  dl {
    display: grid;
    grid-template-columns: max-content minmax(0, 1fr);
    gap: 0.35rem 1.5rem;
    margin: 0;
  }
  dt {
    font-weight: 600;
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .error-summary:focus {
    outline: 3px solid #ffb81c;
    outline-offset: 2px;
  }
  .error-summary .summary-title {
    font-size: 1.1rem;
    margin: 0 0 0.5rem;
  }
  .error-summary ul {
    margin: 0;
    padding-left: 1.25rem;
  }
  .error-summary a {
    color: var(--ra-red);
    font-weight: 600;
  }
  .loading {
    color: var(--ra-muted);
    padding: 0.75rem 0;
  }
  /* Tables of class "stack" become one block per row on a narrow screen: each cell shows
     its column's name from data-label, so nothing scrolls sideways. Lists of terms put each
     term above its value, and panels give their content more of the width. */
  @media (max-width: 40rem) {
    .card {
      padding: 1rem;
    }
    dl {
      grid-template-columns: minmax(0, 1fr);
      gap: 0;
    }
    dd {
      margin-bottom: 0.5rem;
    }
    table.stack thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
    table.stack,
    table.stack tbody,
    table.stack tr,
    table.stack td {
      display: block;
      width: 100%;
      box-sizing: border-box;
    }
    table.stack tr {
      border-bottom: 2px solid var(--ra-border);
      padding: 0.25rem 0;
    }
    table.stack td {
      border: none;
      padding: 0.2rem 0.75rem;
      overflow-wrap: anywhere;
    }
    table.stack td[data-label]::before {
      content: attr(data-label) ': ';
      font-weight: 600;
    }
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
