import { describe, expect, it } from 'vitest';
import { runProgram } from './program-runner.ts';

describe('runProgram', () => {
  it("gives a program's exit code and what it printed to stdout and stderr", async () => {
    const result = await runProgram('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toEqual({ status: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('runs programs side by side and gives each its own answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        runProgram('/bin/sh', ['-c', `sleep 0.0${8 - i}; echo ${i}`]),
      ),
    );
    expect(results.map((r) => r.stdout)).toEqual([
      '0\n',
      '1\n',
      '2\n',
      '3\n',
      '4\n',
      '5\n',
      '6\n',
      '7\n',
    ]);
  });

  it('closes stdin: a program waiting for input ends at once', async () => {
    expect(await runProgram('/bin/cat', [])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('answers for a program that cannot start', async () => {
    const result = await runProgram('/nonexistent/program', []);
    expect(result.status).toBeNull();
    expect(result.stderr).toMatch(/ENOENT/);
  });
});
