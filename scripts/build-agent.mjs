// Builds the reader agent into one JavaScript file (dist/agent/cli.mjs): the workstation runs
// plain Node.js, with no TypeScript transpiler loaded beside it (tsx alone costs ~35 MB of
// memory in a process that watches readers all day). The PC/SC binding stays outside the
// bundle: it is a native addon, found in node_modules as before.
import { build } from 'esbuild';

await build({
  entryPoints: ['reader/cli.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external: ['pcsclite'],
  outfile: 'dist/agent/cli.mjs',
  logLevel: 'warning',
  legalComments: 'none',
});
