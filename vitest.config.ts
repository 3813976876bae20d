import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // One test file per core. Vitest's default, cores − 1, is a single worker on a two-core
    // machine, which leaves a core idle while the worker waits on PostgreSQL and openssl: the
    // integration files took 687 s one at a time and 480 s two at a time here. The card and
    // page projects still take one file at a time (fileParallelism below).
    maxWorkers: availableParallelism(),
    // Every test app of every project logs to a file; when the whole run ends, no line may
    // name a test person or give their date of birth or email (issue 8).
    globalSetup: ['test/support/log-check.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{server,db,reader,pki,vocabulary,web,scripts}/**/*.test.ts',
            'test/support/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Every test database starts as a copy of one migrated once per run.
          globalSetup: ['test/support/database-templates.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'reader',
          include: ['test/reader/**/*.test.ts'],
          globalSetup: ['test/support/database-templates.ts'],
          // One pcscd per machine: card test files take turns.
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/database-templates.ts', 'test/e2e/global-setup.ts'],
          // A page answers when its server has hashed a password or read a card: on a busy
          // two-core machine that can take seconds, not the 1 s expect.poll waits by default.
          expect: { poll: { timeout: 10_000 } },
          // One Chromium at a time: two cores are not enough for more.
          fileParallelism: false,
        },
      },
    ],
  },
});
