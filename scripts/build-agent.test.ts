import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { agentBuild } from './build-agent.mjs';

// The watching agent must stay under 80 MB resident (npm run bench:card-jobs measures it).
// Two things that cost it most came in unseen: pkijs (~16 MB loaded and run) and fetch's
// client, undici (~20 MB), which an ES module's import of node:http alone loads. The
// benchmark needs pcscd and a minute; these checks need neither.
describe('the agent as built for workstations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ra-agent-build-'));
  const outfile = join(dir, 'cli.cjs');

  it('bundles no ASN.1 library: certificates are read by pki/der-certificate-summary.ts', async () => {
    const result = await build({ ...agentBuild, outfile, metafile: true });
    const packages = Object.keys(result.metafile.inputs)
      .filter((path) => path.includes('node_modules/'))
      .map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]);
    expect(packages.filter((p) => /pkijs|asn1js|@peculiar|bytestreamjs/.test(p ?? ''))).toEqual([]);
  });

  it('starts without loading undici', async () => {
    await build({ ...agentBuild, outfile });
    const probe = join(dir, 'probe.cjs');
    writeFileSync(
      probe,
      `process.on('exit', () => process.stderr.write('undici ' + process.moduleLoadList.some((m) => m.includes('undici')) + '\\n'));`,
    );
    const run = spawnSync(process.execPath, ['--require', probe, outfile, '--help'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Smartcard RA reader agent');
    expect(run.stderr).toContain('undici false');
  });
});
