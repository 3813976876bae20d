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
});
