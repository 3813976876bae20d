import { describe, expect, it } from 'vitest';
import { allows, permissionsOf, rolePermissions } from './permissions.ts';

const has = (role: keyof typeof rolePermissions, p: string) =>
  (rolePermissions[role] as readonly string[]).includes(p);

// The role table of DOMAIN.md, checked line by line where it draws a boundary.
describe('the role table', () => {
  it('lets only the RA manager manage RA staff', () => {
    for (const role of Object.keys(rolePermissions) as (keyof typeof rolePermissions)[]) {
      expect(has(role, 'ra-staff:manage'), role).toBe(role === 'ra_manager');
    }
  });

  it('lets only the RA manager see and clear sign-in locks', () => {
    for (const role of Object.keys(rolePermissions) as (keyof typeof rolePermissions)[]) {
      expect(has(role, 'accounts:unlock'), role).toBe(role === 'ra_manager');
    }
  });

  it('gives the advanced agent everything the manager has but RA staff and sign-in locks', () => {
    const manager = rolePermissions.ra_manager.filter(
      (p) => p !== 'ra-staff:manage' && p !== 'accounts:unlock' && p !== 'background-jobs:manage',
    );
    expect([...rolePermissions.ra_agent_advanced].sort()).toEqual([...manager].sort());
  });

  it('keeps positions to managers and advanced agents', () => {
    expect(has('ra_manager', 'positions:manage')).toBe(true);
    expect(has('ra_agent_advanced', 'positions:manage')).toBe(true);
    expect(has('ra_agent', 'positions:manage')).toBe(false);
    expect(has('sponsor', 'positions:manage')).toBe(false);
  });

  it('gives ID checkers registration but no cards and no positions', () => {
    expect(has('id_checker', 'people:register')).toBe(true);
    expect(
      rolePermissions.id_checker.some((p) => p === 'cards:issue' || p === 'cards:unlock'),
    ).toBe(false);
    expect(
      rolePermissions.id_checker.some(
        (p) => p.startsWith('assignments:') || p === 'positions:manage',
      ),
    ).toBe(false);
  });

  it('keeps suspending, reactivating and closing people to RA agents and above', () => {
    for (const role of Object.keys(rolePermissions) as (keyof typeof rolePermissions)[]) {
      expect(has(role, 'people:change-status'), role).toBe(
        role === 'ra_manager' || role === 'ra_agent_advanced' || role === 'ra_agent',
      );
    }
  });

  it('lets sponsors decide and assign assignable positions, but not issue cards', () => {
    expect(has('sponsor', 'requests:decide')).toBe(true);
    expect(has('sponsor', 'assignments:assign-assignable')).toBe(true);
    expect(has('sponsor', 'assignments:manage')).toBe(false);
    expect(has('sponsor', 'cards:issue')).toBe(false);
    expect(has('sponsor', 'cards:renew-expired')).toBe(false);
  });

  it('lets unlockers find people, unlock and renew in the window, and ask for positions as holders do, and nothing more', () => {
    expect([...rolePermissions.lsa].sort()).toEqual(
      [
        'positions:read',
        'cards:read',
        'cards:renew',
        'cards:renew-own',
        'cards:unlock',
        'cards:unlock-own',
        'people:read',
        'profile:read-own',
        'requests:raise-own',
      ].sort(),
    );
  });

  it('keeps card holders to their own things', () => {
    expect(rolePermissions.staff.every((p) => p.endsWith('-own') || p === 'positions:read')).toBe(
      true,
    );
  });
});

describe('allows', () => {
  it('denies by default', () => {
    expect(allows('audit:read', null)).toBe(false);
    expect(allows('authenticated', null)).toBe(false);
    expect(allows('audit:read', permissionsOf(['staff']))).toBe(false);
    expect(allows('audit:read', permissionsOf(['staff', 'ra_agent_advanced']))).toBe(true);
    expect(allows('public', null)).toBe(true);
  });
});
