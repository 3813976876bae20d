import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBuild } from './build-agent.mjs';

// The watching agent must stay under 80 MB resident (npm run bench:card-jobs measures it).
// What cost it most came in unseen: pkijs (~16 MB loaded and run) and fetch's client,
// undici (~20 MB), which the ES module loader alone loads when it imports node:http. The
// benchmark needs pcscd and a minute; these checks need neither.
const dir = mkdtempSync(join(tmpdir(), 'ra-agent-build-'));
const outfile = join(dir, 'cli.cjs');
const probe = join(dir, 'probe.cjs');
let inputs: string[] = [];

beforeAll(async () => {
  const result = await build({ ...agentBuild, outfile, metafile: true });
  inputs = Object.keys(result.metafile.inputs);
  writeFileSync(
    probe,
    `process.on('exit', () => process.stderr.write('undici ' + process.moduleLoadList.some((m) => m.includes('undici')) + '\\n'));`,
  );
});

/** Runs the built agent with the probe, as a workstation would run it. */
function agent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--require', probe, outfile, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});
async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const enrolled: RequestListener = (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ workstationId: 'w1', workstationName: 'Desk 1', credential: 'secret' }),
    );
  });
};

describe('the agent as built for workstations', () => {
  it('bundles no ASN.1 library: certificates are read by pki/der-certificate-summary.ts', () => {
    const packages = inputs
      .filter((path) => path.includes('node_modules/'))
      .map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path);
    expect(packages.filter((p) => /pkijs|asn1js|@peculiar|bytestreamjs/.test(p))).toEqual([]);
  });

  it('starts without loading undici', async () => {
    const run = await agent(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Smartcard RA reader agent');
    expect(run.stderr).toContain('undici false');
  });

  it('talks to the RA server without loading undici', async () => {
    const port = await listen(createHttpServer(enrolled));
    const config = join(dir, 'agent.json');
    const run = await agent([
      'enrol',
      '--server',
      `http://127.0.0.1:${port}`,
      '--code',
      'K7QM',
      '--config',
      config,
    ]);
    expect(run.stdout).toContain('Enrolled as workstation "Desk 1"');
    expect(JSON.parse(readFileSync(config, 'utf8'))).toMatchObject({ credential: 'secret' });
    expect(run.stderr).toContain('undici false');
  });

  it('over https too, where it checks the certificate', async () => {
    const key = join(dir, 'tls.key');
    const cert = join(dir, 'tls.pem');
    execFileSync('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '1'],
    ]);
    const tls = { key: readFileSync(key), cert: readFileSync(cert) };
    const port = await listen(createHttpsServer(tls, enrolled));
    const run = await agent([
      'enrol',
      '--server',
      `https://localhost:${port}`,
      '--code',
      'K7QM',
      '--config',
      join(dir, 'not-written.json'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /Cannot reach the RA server at https:\/\/localhost:\d+: .*self.signed/,
    );
    expect(run.stderr).toContain('undici false');
  });
});
