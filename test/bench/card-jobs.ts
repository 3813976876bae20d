/**
 * npm run bench:card-jobs — issues and unlocks ROUNDS (default 5) fresh stock cards through
 * the real stack (pcscd, the simulator, the app on a port, the agent's `watch` process) and
 * prints, per job: the APDUs the agent sent, its wall time, and the server's share (time in
 * the server's handlers for the job's start and steps, measured around the app's fetch, and
 * the agent's own figure of time waiting for the server). Beside them, yubico-piv-tool doing
 * the same card steps on a fresh simulated card in the same reader, APDUs counted by the
 * card; and the watching agent's memory. It prints figures and targets; it asserts nothing.
 * One extra round first warms up (JIT, the CA key opened) and is printed apart.
 * PostgreSQL when BENCH_DATABASE_URL (or TEST_DATABASE_URL) names a server, else PGlite.
 * BENCH_TLS=1 serves the app over https, as a workstation reaches a real RA server.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newStarter, stockSerials } from '../support/card-jobs.ts';
import { makeBenchCa, type ToolFlow, toolIssuance, toolUnlock } from './card-jobs-piv-tool.ts';
import { CardJobStack, type JobFigures } from './card-jobs-stack.ts';

const rounds = Number(process.env.ROUNDS ?? 5);
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (serverUrl) process.env.TEST_DATABASE_URL = serverUrl;
const names = ['Imani', 'Tomasz', 'Aoife', 'Kwame', 'Priya', 'Lars', 'Noor', 'Mateo', 'Yuki'];
const targets = { serverMs: 100, rssMb: 80 };

/** The `watch` process's resident memory, sampled from /proc, and the kernel's high-water mark. */
class RssSampler {
  phase = 'idle';
  readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 20);
    this.sample();
  }
  private field(name: string): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  }
  sample() {
    try {
      const mb = this.field('VmRSS');
      this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, mb));
    } catch {}
  }
  /** The largest the process has ever been resident (VmHWM), and stops sampling. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.field('VmHWM');
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? Number.NaN;
const spread = (xs: number[], digits = 0) =>
  `${median(xs).toFixed(digits)} (${sorted(xs)[0]?.toFixed(digits)}–${sorted(xs).at(-1)?.toFixed(digits)})`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function row(cells: string[], widths: number[]) {
  return cells
    .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
    .join('');
}

function printTable(
  jobs: { issue: JobFigures[]; unlock: JobFigures[] },
  tools: { issue: ToolFlow[]; unlock: ToolFlow[] },
) {
  const widths = [34, 12, 22, 22, 16, 8, 18];
  console.log(
    row(
      [
        '',
        'APDUs',
        'wall ms med (min–max)',
        'server handlers ms',
        'agent waited ms',
        'calls',
        'of which card ms',
      ],
      widths,
    ),
  );
  for (const kind of ['issue', 'unlock'] as const) {
    const j = jobs[kind];
    const apdus = j.map((f) => f.apdus);
    const cardSide = j.map((f) => f.cardApdus);
    const same = apdus.every((n, i) => n === cardSide[i]);
    console.log(
      row(
        [
          `${kind}: agent job`,
          `${median(apdus)}${same ? '' : ` (card ${median(cardSide)})`}`,
          spread(j.map((f) => f.ms)),
          spread(
            j.map((f) => f.serverMs),
            1,
          ),
          String(median(j.map((f) => f.agentServerMs))),
          String(median(j.map((f) => f.serverCalls))),
          median(j.map((f) => f.cardMs)).toFixed(0),
        ],
        widths,
      ),
    );
    const t = tools[kind];
    console.log(
      row(
        [
          `${kind}: yubico-piv-tool (${t[0]?.runs.length} runs)`,
          String(median(t.map((f) => f.apdus))),
          spread(t.map((f) => f.ms)),
          '-',
          '-',
          '-',
          median(t.map((f) => f.cardMs)).toFixed(0),
        ],
        widths,
      ),
    );
  }
}

function printToolRuns(kind: string, flows: ToolFlow[]) {
  const actions = flows[0]?.runs.map((r) => r.action) ?? [];
  const parts = actions.map((action, i) => {
    const apdus = median(flows.map((f) => f.runs[i]?.apdus ?? 0));
    const ms = median(flows.map((f) => f.runs[i]?.ms ?? 0));
    return `${action} ${apdus} APDUs/${ms.toFixed(0)} ms`;
  });
  console.log(`  yubico-piv-tool ${kind}, per run (median): ${parts.join('; ')}`);
}

function printServerCalls(kind: string, jobs: JobFigures[]) {
  const calls = [...(jobs[0]?.serverByCall.keys() ?? [])];
  const parts = calls.map(
    (call) => `${call} ${median(jobs.map((j) => j.serverByCall.get(call) ?? 0)).toFixed(1)}`,
  );
  console.log(`  server handlers, ${kind}, ms per call (median): ${parts.join('; ')}`);
}

/** For scale: the resident memory of an idle node process with `args`, after a second and a half. */
async function idleRss(args: string[]): Promise<number> {
  const child = spawn(process.execPath, [...args, '-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
  });
  await pause(1500);
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return Number(kb ?? 0) / 1024;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ra-bench-jobs-'));
  // The test app's log file goes with the bench's folder.
  process.env.SMARTCARD_RA_TEST_LOG_DIR ??= join(dir, 'logs');
  const driver = serverUrl ? 'postgres' : 'pglite';
  const stack = await CardJobStack.start(dir, driver);
  try {
    const serials = await stockSerials(stack.t);
    if (serials.length < rounds + 1)
      throw new Error(
        `ROUNDS=${rounds} needs ${rounds + 1} stock cards; the demo has ${serials.length}`,
      );
    const rss = new RssSampler(stack.agentPid);
    await pause(1000);
    const jobs = { issue: [] as JobFigures[], unlock: [] as JobFigures[] };
    let cold: { issue: JobFigures; unlock: JobFigures } | undefined;
    rss.phase = 'jobs';
    for (let round = 0; round <= rounds; round += 1) {
      const serial = serials[round] ?? '';
      const holder = await newStarter(stack.t, names[round % names.length] ?? 'Imani');
      await stack.insertStockCard(serial, (0xbe000000 + round).toString(16));
      const issue = await stack.runJob(
        stack.raAgent,
        serial,
        { kind: 'issue', personId: holder.id },
        '246810',
      );
      await stack.blockPin();
      const unlock = await stack.runJob(stack.sponsor, serial, { kind: 'unlock' }, '13572468');
      await stack.removeCard();
      if (round === 0) cold = { issue, unlock };
      else {
        jobs.issue.push(issue);
        jobs.unlock.push(unlock);
      }
    }
    rss.phase = 'after';
    await pause(3000);
    const hwm = rss.stop();
    const plainNode = await idleRss([]);
    const nodeTsx = await idleRss(['--import', 'tsx']);
    const agentCerts = await stack.issuedCertificateSizes();
    await stack.stopAgent();

    await makeBenchCa(dir);
    const tools = { issue: [] as ToolFlow[], unlock: [] as ToolFlow[] };
    for (let round = 0; round <= rounds; round += 1) {
      const issue = await toolIssuance(dir, round);
      const unlock = await toolUnlock(dir, round);
      if (round > 0) {
        tools.issue.push(issue);
        tools.unlock.push(unlock);
      }
    }

    console.log(
      `\nCard jobs benchmark: ${rounds} rounds (after one warm-up), each on a fresh stock card; pcscd with the no-delay shim and the simulator; ${driver}; the app over ${process.env.BENCH_TLS ? 'https' : 'http'}\n`,
    );
    if (!stack.ownPcscd)
      console.log(
        'NOTE: pcscd was already running (another run using the test reader): its cards and agents may have disturbed these figures.\n',
      );
    printTable(jobs, tools);
    printServerCalls('issue', jobs.issue);
    printServerCalls('unlock', jobs.unlock);
    printToolRuns('issue', tools.issue);
    printToolRuns('unlock', tools.unlock);
    if (cold)
      console.log(
        `  warm-up round (first job of the process, the CA key opened): issue ${cold.issue.ms} ms, server handlers ${cold.issue.serverMs.toFixed(0)} ms; unlock ${cold.unlock.ms} ms, server handlers ${cold.unlock.serverMs.toFixed(0)} ms`,
      );
    console.log(
      `  certificate DER bytes: the RA's ${median(agentCerts)} (median of ${agentCerts.length}), the tool's (openssl, same extensions) ${median(tools.issue.flatMap((f) => f.certificateBytes))}; openssl making two took ${median(tools.issue.map((f) => f.opensslMs)).toFixed(0)} ms, not counted above`,
    );

    console.log('\nTargets');
    for (const kind of ['issue', 'unlock'] as const) {
      const server = jobs[kind].map((f) => f.serverMs);
      const worst = sorted(server).at(-1) ?? Number.NaN;
      console.log(
        `  ${kind}: server's share ${median(server).toFixed(1)} ms median, ${worst.toFixed(1)} ms worst (target < ${targets.serverMs} ms): ${worst < targets.serverMs ? 'meets it' : 'DOES NOT meet it'}`,
      );
      const ours = sorted(jobs[kind].map((f) => f.apdus)).at(-1) ?? Number.NaN;
      const theirs = median(tools[kind].map((f) => f.apdus));
      console.log(
        `  ${kind}: APDUs ${ours} (agent) vs ${theirs} (yubico-piv-tool) (target: no more): ${ours <= theirs ? 'meets it' : 'DOES NOT meet it'}`,
      );
    }
    const peak = Math.max(...rss.peaks.values());
    console.log(
      `  for scale, idle processes doing nothing: plain node ${plainNode.toFixed(1)} MB; node --import tsx (how the agent ran before it was built to one file) ${nodeTsx.toFixed(1)} MB`,
    );
    console.log(
      `  watch process RSS: ${rss.peaks.get('idle')?.toFixed(1)} MB idle before, peak ${rss.peaks.get('jobs')?.toFixed(1)} MB sampled during the rounds, ${rss.peaks.get('after')?.toFixed(1)} MB after; VmHWM ${hwm.toFixed(1)} MB (target < ${targets.rssMb} MB): ${Math.max(peak, hwm) < targets.rssMb ? 'meets it' : 'DOES NOT meet it'}`,
    );
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
