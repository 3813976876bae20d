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

  it('sends mail to files unless SMTP_URL names an smtp:// or smtps:// server', () => {
    expect(loadConfig({}).mail).toEqual({
      smtpUrl: undefined,
      from: 'Smartcard RA <no-reply@localhost>',
      timeoutSeconds: 10,
    });
    const c = loadConfig({
      SMTP_URL: 'smtps://ra:s3cret@mail.trust.nhs.uk:465',
      MAIL_FROM: '"RA, Trust" <ra@trust.nhs.uk>',
      SMTP_TIMEOUT_SECONDS: '3',
    });
    expect(c.mail).toEqual({
      smtpUrl: 'smtps://ra:s3cret@mail.trust.nhs.uk:465',
      from: '"RA, Trust" <ra@trust.nhs.uk>',
      timeoutSeconds: 3,
    });
    expect(
      loadConfig({ SMTP_URL: 'smtp://mail.local', MAIL_FROM: 'ra@trust.nhs.uk' }).mail.from,
    ).toBe('ra@trust.nhs.uk');
  });

  it('names a bad SMTP_URL, MAIL_FROM or SMTP_TIMEOUT_SECONDS, never the URL’s password', () => {
    for (const url of [
      'https://user:hunter2@mail.trust.nhs.uk',
      'smtp://',
      'mail.trust.nhs.uk:25',
    ]) {
      let message = '';
      try {
        loadConfig({ SMTP_URL: url });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, url).toMatch(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
      expect(message, url).not.toContain('hunter2');
    }
    for (const from of ['no address', 'RA <ra@trust.nhs.uk', 'a@b\r\nBcc: x@y', '']) {
      expect(() => loadConfig({ MAIL_FROM: from }), from).toThrow(
        /MAIL_FROM: must be an email address, or a name and address/,
      );
    }
    expect(() => loadConfig({ SMTP_TIMEOUT_SECONDS: '0' })).toThrow(/SMTP_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ SMTP_TIMEOUT_SECONDS: '600' })).toThrow(
      /SMTP_TIMEOUT_SECONDS: at most 120 seconds/,
    );
  });
});
