import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has working defaults for a fresh machine', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      dataDir: './data',
      demoData: 'auto',
      trustProxy: false,
      session: { idleMinutes: 30, maxHours: 12 },
      login: {
        delayAfterFailures: 3,
        maxFailuresPerAccount: 50,
        maxFailuresPerAddress: 500,
        lockoutMinutes: 15,
      },
    });
  });

  it('names every wrong variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: '99999', TRUST_PROXY: 'maybe', DATABASE_URL: 'mysql://db' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/TRUST_PROXY/);
    expect(message).toMatch(/DATABASE_URL: must be a postgres/);
  });

  it('keeps only the origin of PUBLIC_ORIGIN', () => {
    expect(loadConfig({ PUBLIC_ORIGIN: 'https://ra.example.nhs.uk/app/' }).publicOrigin).toBe(
      'https://ra.example.nhs.uk',
    );
  });

  it('takes the audit key from AUDIT_KEY or the file AUDIT_KEY_FILE names, not both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ra-config-'));
    try {
      const file = join(dir, 'audit.key');
      writeFileSync(file, `${'k'.repeat(40)}\n`);
      expect(loadConfig({ AUDIT_KEY_FILE: file }).auditKey).toBe('k'.repeat(40));
      expect(loadConfig({ AUDIT_KEY: 'a'.repeat(32) }).auditKey).toBe('a'.repeat(32));
      expect(() => loadConfig({ AUDIT_KEY: 'short' })).toThrow(/AUDIT_KEY: must be at least 32/);
      expect(() => loadConfig({ AUDIT_KEY: 'a'.repeat(32), AUDIT_KEY_FILE: file })).toThrow(
        /not both/,
      );
      expect(() => loadConfig({ PORT: 'x', AUDIT_KEY_FILE: join(dir, 'none') })).toThrow(
        /PORT[\s\S]*AUDIT_KEY_FILE: cannot read .*ENOENT/,
      );
      writeFileSync(file, 'too short');
      expect(() => loadConfig({ AUDIT_KEY_FILE: file })).toThrow(/at least 32/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts no unkeyed audit events unless AUDIT_UNKEYED_EVENTS says how many', () => {
    expect(loadConfig({}).auditUnkeyedEvents).toBe(0);
    expect(loadConfig({ AUDIT_UNKEYED_EVENTS: '29' }).auditUnkeyedEvents).toBe(29);
    expect(() => loadConfig({ AUDIT_UNKEYED_EVENTS: '-1' })).toThrow(/AUDIT_UNKEYED_EVENTS/);
    expect(() => loadConfig({ AUDIT_UNKEYED_EVENTS: 'all' })).toThrow(/AUDIT_UNKEYED_EVENTS/);
  });
});
