import { type ChildProcess, spawn } from 'node:child_process';

/** How a program ended and what it printed, as spawnSync reports it. */
export interface ProgramResult {
  /** The exit code, or null when a signal ended it. */
  status: number | null;
  stdout: string;
  stderr: string;
}

// The helper: reads one JSON request a line, runs the program with stdin closed, and writes
// one JSON answer a line. Programs may run side by side; answers carry the request's id.
const helperSource = `
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, command, args } = JSON.parse(line);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  const err = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => err.push(d));
  const answer = (status, error) =>
    process.stdout.write(JSON.stringify({ id, status,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8') + (error ? String(error) : '') }) + '\\n');
  child.on('error', (error) => answer(null, error));
  child.on('close', (code) => answer(code));
});
lines.on('close', () => process.exit(0));
`;

interface Helper {
  child: ChildProcess;
  pending: Map<number, (result: ProgramResult) => void>;
}

let helper: Helper | undefined;
let nextId = 0;

function startHelper(): Helper {
  const child = spawn(process.execPath, ['--input-type=module', '-e', helperSource], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const started: Helper = { child, pending: new Map() };
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const { id, ...result } = JSON.parse(buffered.slice(0, newline)) as ProgramResult & {
        id: number;
      };
      buffered = buffered.slice(newline + 1);
      started.pending.get(id)?.(result);
      started.pending.delete(id);
      newline = buffered.indexOf('\n');
    }
    if (started.pending.size === 0) idle(started);
  });
  const stopped = (why: string) => {
    if (helper === started) helper = undefined;
    for (const done of started.pending.values()) done({ status: null, stdout: '', stderr: why });
    started.pending.clear();
  };
  child.on('error', (error) => stopped(`the program runner failed: ${error.message}`));
  child.on('exit', () => stopped('the program runner stopped'));
  return started;
}

/** Nothing pending: the helper must not keep this process alive. */
function idle({ child }: Helper) {
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
}

function busy({ child }: Helper) {
  child.ref();
  (child.stdout as unknown as { ref?: () => void } | null)?.ref?.();
  (child.stdin as unknown as { ref?: () => void } | null)?.ref?.();
}

/**
 * Runs a program to its end, as spawnSync would, but started by a small helper process
 * rather than by this one. Starting a process copies its parent's page tables: a test worker
 * holding databases (hundreds of MB) pays 60 to 80 ms for each, a small process a third of
 * that, and the PKI tests start openssl hundreds of times.
 */
export function runProgram(command: string, args: string[]): Promise<ProgramResult> {
  helper ??= startHelper();
  const current = helper;
  busy(current);
  const id = nextId++;
  return new Promise((resolve) => {
    current.pending.set(id, resolve);
    current.child.stdin?.write(`${JSON.stringify({ id, command, args })}\n`);
  });
}
