import { describe, expect, it } from 'vitest';
import { loginReturningTo, safeReturnPath } from './return-path.ts';

const origin = 'https://ra.example.nhs.uk';

describe('safeReturnPath', () => {
  it('keeps a path of this app with its query', () => {
    expect(safeReturnPath('/card-flags?state=open&page=2', origin)).toBe(
      '/card-flags?state=open&page=2',
    );
    expect(safeReturnPath('/people/123', origin)).toBe('/people/123');
  });

  it('refuses anything that could lead off this origin', () => {
    for (const next of [
      '//evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      'https://evil.example/card-flags',
      'javascript:alert(1)',
      '/\t/evil.example',
      ' /card-flags',
      'card-flags',
      '',
    ]) {
      expect(safeReturnPath(next, origin), next).toBeNull();
    }
    expect(safeReturnPath(null, origin)).toBeNull();
  });

  it('does not return to the login, the activation or the API', () => {
    expect(safeReturnPath('/login?next=/audit', origin)).toBeNull();
    expect(safeReturnPath('/activate', origin)).toBeNull();
    expect(safeReturnPath('/api/me', origin)).toBeNull();
  });

  it('round-trips through the login address', () => {
    const login = loginReturningTo('/reports?organisation=RWG01&from=2026-01-01');
    const next = new URL(login, origin).searchParams.get('next');
    expect(safeReturnPath(next, origin)).toBe('/reports?organisation=RWG01&from=2026-01-01');
    expect(loginReturningTo('/')).toBe('/login');
  });
});
