import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ToolResult {
  code: number;
  out: string;
}

/**
 * Runs a PC/SC tool without blocking the event loop: the simulated card answering it lives
 * in this process, so a synchronous call would wait for a card that cannot speak.
 */
export async function tool(command: string, args: string[]): Promise<ToolResult> {
  try {
    // stdin is closed: a tool that would prompt must fail at once, not wait for a person.
    const pending = run(command, args, { timeout: 30_000 });
    pending.child.stdin?.end();
    const { stdout, stderr } = await pending;
    return { code: 0, out: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    };
  }
}
