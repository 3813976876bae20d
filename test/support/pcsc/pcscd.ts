import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian packages the card tests use, and a file each one installs. */
export const pcscPackages: Record<string, string> = {
  pcscd: '/usr/sbin/pcscd',
  'vsmartcard-vpcd': '/usr/lib/pcsc/drivers/serial/libifdvpcd.so',
  'libpcsclite-dev': '/usr/include/PCSC/winscard.h',
  opensc: '/usr/bin/pkcs15-tool',
  'yubico-piv-tool': '/usr/bin/yubico-piv-tool',
  'pcsc-tools': '/usr/bin/pcsc_scan',
  // The C compiler and headers that build the no-delay shim.
  gcc: '/usr/bin/gcc',
  'libc6-dev': '/usr/include/dlfcn.h',
};

/** Our private reader: two slots, ports 45947 and 45948 (channel id = port, slot n = +n). */
export const testReader = { name: 'RA Test Reader', port: 0xb37b } as const;
export const slotName = (slot: number) => `${testReader.name} 00 0${slot}`;
const socketPath = '/run/pcscd/pcscd.comm';

/** Installs what is missing when we can (root, apt-get); otherwise says what to install. */
export function ensurePcscPackages(): void {
  const missing = Object.entries(pcscPackages)
    .filter(([, file]) => !existsSync(file))
    .map(([name]) => name);
  if (!missing.length) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`The card tests need: sudo apt-get install ${missing.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

/** Builds the TCP_NODELAY shim from its C source into `dir`. */
export function buildNoDelayShim(dir: string): string {
  const source = join(dirname(fileURLToPath(import.meta.url)), 'nodelay-shim.c');
  const out = join(dir, 'nodelay-shim.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', out, source, '-ldl']);
  return out;
}

/**
 * The reader names pcscd reports now (empty when none or no daemon). Asynchronous on
 * purpose: simulated cards in this process must keep answering pcscd meanwhile.
 */
export function listReaders(): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('opensc-tool', ['-l'], { encoding: 'utf8', timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve([]);
      resolve(
        stdout
          .split('\n')
          .map((l) => /^\d+\s+\S+\s+(.+)$/.exec(l.trim())?.[1]?.trim())
          .filter((n): n is string => !!n && n !== 'Driver' && !n.startsWith('Name')),
      );
    });
  });
}

import { waitFor } from '../wait-for.ts';

export { waitFor };

export interface Pcscd {
  /** True when this harness started the daemon (and so may stop or restart it). */
  started: boolean;
  stop(): Promise<void>;
  /** Kills the daemon and starts it again (only one we started). */
  restart(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Starts pcscd with our private reader configuration and the no-delay shim, or reuses one
 * that already serves our test reader. Only one pcscd can run per machine (the socket path
 * is compiled in), so a running daemon without our reader is an error that says so.
 */
export async function startPcscd(): Promise<Pcscd> {
  ensurePcscPackages();
  const release = await takeTestReader();
  const pcscd = await startPcscdHeld().catch((err: unknown) => {
    release();
    throw err;
  });
  return {
    ...pcscd,
    stop: async () => {
      try {
        await pcscd.stop();
      } finally {
        release();
      }
    },
  };
}

const lockDir = join(tmpdir(), 'smartcard-ra-test-reader.lock');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The test reader's two slots (vpcd's TCP ports) are one per machine: test files of every
 * project and every process (the reader tests, the page tests, a benchmark) take turns,
 * holding a lock directory that names the holder's pid. A dead holder's lock is taken over.
 */
async function takeTestReader(): Promise<() => void> {
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      const release = () => {
        process.off('exit', release);
        rmSync(lockDir, { recursive: true, force: true });
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {}
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`the test reader stayed taken by process ${holder} for 20 minutes`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function startPcscdHeld(): Promise<Pcscd> {
  if (existsSync(socketPath) && (await listReaders()).some((r) => r.startsWith(testReader.name))) {
    return {
      started: false,
      stop: async () => {},
      restart: notOurs,
      kill: notOurs,
      start: async () => {},
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ra-pcscd-'));
  const confDir = join(dir, 'reader.conf.d');
  mkdirSync(confDir);
  writeFileSync(
    join(confDir, 'ra-test-reader'),
    [
      `FRIENDLYNAME "${testReader.name}"`,
      `DEVICENAME /dev/null:0x${testReader.port.toString(16).toUpperCase()}`,
      'LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so',
      `CHANNELID 0x${testReader.port.toString(16).toUpperCase()}`,
      '',
    ].join('\n'),
  );
  const shim = buildNoDelayShim(dir);
  let child: ChildProcess | undefined;
  const start = async () => {
    if (existsSync(socketPath) && (await listReaders()).length) {
      throw new Error(
        'Another pcscd is running without the RA test reader; stop it first (pkill pcscd).',
      );
    }
    child = spawn('pcscd', ['--foreground', '--error', '-c', confDir], {
      env: { ...process.env, LD_PRELOAD: shim },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitFor(
      async () => (await listReaders()).some((r) => r.startsWith(testReader.name)),
      'pcscd to list the RA Test Reader',
    );
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
    await waitFor(async () => (await listReaders()).length === 0, 'pcscd to go away', 5_000).catch(
      () => {},
    );
  };
  await start();
  return {
    started: true,
    stop: kill,
    kill,
    start,
    restart: async () => {
      await kill();
      await start();
    },
  };
}

async function notOurs(): Promise<void> {
  throw new Error(
    'this pcscd was already running: the harness does not restart what it did not start',
  );
}
