import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/client.ts';
import { organisations } from '../../db/schema/organisations.ts';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', 'server/cli/account.ts', ...args], {
    env: { ...process.env, ...env },
  });

/** The deployer's way to the first RA manager on a database with no demo data. */
describe('npm run account -- create', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ra-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates an account whose owner activates it and signs in', async () => {
    const setup = await openDatabase({ driver: 'pglite', dataDir });
    await setup.migrate();
    await setup.db.insert(organisations).values({ odsCode: 'RXX', name: 'Example Trust' });
    await setup.close();

    const { stdout } = await cli(
      [
        'create',
        '--username',
        'ra.lead',
        '--name',
        'Robin Lead',
        '--role',
        'ra_manager',
        '--ods',
        'RXX',
      ],
      { DATA_DIR: dataDir },
    );
    const code = /Activation code: ([A-Z2-9]{12})/.exec(stdout)?.[1];
    expect(code, stdout).toBeDefined();

    const handle = await openDatabase({ driver: 'pglite', dataDir });
    try {
      const app = createApp({
        db: handle.db,
        driver: 'pglite',
        config: loadConfig({ AUDIT_KEY_FILE: join(dataDir, 'audit.key') }),
        logger: createLogger('silent'),
      });
      const signIn = (password: string) =>
        app.request('/api/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'ra.lead', password }),
        });
      // Before activation there is no password that works.
      expect((await signIn('!')).status).toBe(401);
      const activate = await app.request('/api/auth/activate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ra.lead', code, password: 'correct horse battery' }),
      });
      expect(activate.status).toBe(204);
      const again = await app.request('/api/auth/activate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ra.lead', code, password: 'another password 2' }),
      });
      expect(again.status).toBe(401);
      const res = await signIn('correct horse battery');
      expect(res.status).toBe(200);
      expect((await res.json()).roles).toEqual([
        {
          role: 'ra_manager',
          label: 'RA Manager',
          organisation: { odsCode: 'RXX', name: 'Example Trust' },
        },
      ]);
    } finally {
      await handle.close();
    }
  });

  it('refuses a role with no organisation, saying what to add', async () => {
    await expect(
      cli(['create', '--username', 'x', '--name', 'X', '--role', 'ra_agent'], {
        DATA_DIR: dataDir,
      }),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/give --ods/) });
  });
});
