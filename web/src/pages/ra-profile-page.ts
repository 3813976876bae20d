import { ContextConsumer } from '@lit/context';
import { css, html, LitElement, nothing } from 'lit';
import type { Permission } from '../session.ts';
import { sessionContext } from '../session.ts';
import { shared } from '../styles.ts';

/** What each permission lets a person do, in their words. */
const permissionLabels: Record<Permission, string> = {
  'profile:read-own': 'See your own profile',
  'audit:read': 'Read the audit trail',
  'ra-staff:manage': 'Manage RA staff',
  'organisations:read': 'See organisations',
  'organisations:manage': 'Manage organisations',
  'workgroups:manage': 'Manage workgroups',
  'people:read': 'Find people',
  'people:register': 'Register people and check identity',
  'people:edit': "Edit people's details",
  'people:change-status': 'Suspend, reactivate and close people',
  'positions:read': 'See positions',
  'positions:manage': 'Create, edit and close positions',
  'assignments:manage': 'Assign and remove positions',
  'assignments:assign-assignable': 'Assign positions marked assignable',
  'requests:raise-own': 'Request access for yourself',
  'requests:raise': 'Request access for others',
  'requests:decide': 'Approve or reject requests',
  'cards:read': 'See cards',
  'cards:issue': 'Issue cards',
  'cards:cancel': 'Cancel cards',
  'cards:unlock': 'Unlock cards',
  'cards:renew': 'Renew cards in the renewal window',
  'cards:renew-expired': 'Renew expired cards',
  'cards:renew-own': 'Renew your own card',
  'cards:unlock-own': 'Unlock your own card',
  'card-stock:manage': 'Manage card stock',
  'people:import': 'Import staff records from ESR',
  'cards:cancel-batch': 'Cancel cards from a list',
  'reports:read': 'See reports',
  'dashboard:read': 'See the RA dashboard',
  'workstations:manage': 'Manage reader workstations',
  'accounts:unlock': 'See and clear sign-in locks',
  'background-jobs:manage': 'See background jobs and run one now',
};

/** The signed-in user's account, roles per organisation, and what they may do. */
export class RaProfilePage extends LitElement {
  static override styles = [
    shared,
    css`
      ul.abilities {
        columns: 2 18rem;
        column-gap: 2rem;
        padding-left: 1.25rem;
      }
      ul.abilities li {
        break-inside: avoid;
      }
      dd {
        overflow-wrap: anywhere;
        min-width: 0;
      }
    `,
  ];
  private session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  override render() {
    const me = this.session.value;
    if (!me) return nothing;
    return html`
      <h1>My profile</h1>
      <section class="card" aria-labelledby="account-h">
        <h2 id="account-h">Account</h2>
        <dl>
          <dt>Name</dt><dd data-testid="name">${me.account.displayName}</dd>
          <dt>Username</dt><dd data-testid="username">${me.account.username}</dd>
          <dt>Email</dt><dd>${me.account.email ?? html`<span class="muted">none</span>`}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="roles-h">
        <h2 id="roles-h">Roles</h2>
        <ul>
          ${me.roles.map(
            (r) =>
              html`<li data-testid="role">${r.label}${r.organisation ? html` at <strong>${r.organisation.odsCode}</strong> ${r.organisation.name}` : ''}</li>`,
          )}
        </ul>
      </section>
      <section class="card" aria-labelledby="perm-h">
        <h2 id="perm-h">What you can do</h2>
        <ul class="abilities">${me.permissions.map((p) => html`<li data-testid="permission">${permissionLabels[p] ?? p}</li>`)}</ul>
      </section>
    `;
  }
}
customElements.define('ra-profile-page', RaProfilePage);
