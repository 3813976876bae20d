import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { testHashingCostsApply, testHashingCostsApplyIn } from './test-hashing-costs.ts';

describe('test hashing costs', () => {
  it('apply in this vitest worker, run with NODE_ENV=test', () => {
    expect(process.env.NODE_ENV).toBe('test');
    expect(testHashingCostsApply()).toBe(true);
  });

  it('do not apply under any other NODE_ENV, even in a vitest worker', () => {
    for (const nodeEnv of ['production', 'development', 'TEST', '', undefined]) {
      expect(testHashingCostsApplyIn(nodeEnv, globalThis)).toBe(false);
    }
  });

  it('do not apply outside a vitest worker, even with NODE_ENV=test', () => {
    expect(testHashingCostsApplyIn('test', globalThis)).toBe(true);
    expect(testHashingCostsApplyIn('test', {})).toBe(false);
  });

  it('cannot be switched on by environment variables: a server process with NODE_ENV=test and VITEST=true hashes at the real cost', () => {
    const script = [
      "const { testHashingCostsApply } = await import('./server/services/test-hashing-costs.ts');",
      "const { hashPassword } = await import('./server/services/auth/passwords.ts');",
      'console.log(JSON.stringify({ applies: testHashingCostsApply(), hash: await hashPassword("x") }));',
    ].join('\n');
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        env: { ...process.env, NODE_ENV: 'test', VITEST: 'true', VITEST_WORKER_ID: '1' },
        encoding: 'utf8',
      },
    );
    const { applies, hash } = JSON.parse(out) as { applies: boolean; hash: string };
    expect(applies).toBe(false);
    expect(hash).toMatch(/^\$argon2id\$v=19\$(?=[^$]*\bm=65536\b)(?=[^$]*\bt=3\b)(?=[^$]*\bp=4\b)/);
  }, 30_000);
});
