// Builds the reader agent into one JavaScript file (dist/agent/cli.cjs): the workstation runs
// plain Node.js, with no TypeScript transpiler loaded beside it (tsx alone costs ~35 MB of
// memory in a process that watches readers all day). The PC/SC binding stays outside the
// bundle: it is a native addon, found in node_modules as before.
//
// CommonJS, not an ES module: an ES module's `import … from 'node:http'` makes Node build the
// module's whole namespace, and node:http's includes getters (WebSocket, …) that load
// fetch's client, undici: ~13 MB resident for code the agent never runs. require() takes
// only what is asked for. The one `import.meta.url` (the binding's require) becomes the
// file's own URL.
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** esbuild's options for the agent (a test builds with them too, and checks what goes in). */
export const agentBuild = {
  entryPoints: ['reader/cli.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  external: ['pcsclite'],
  outfile: 'dist/agent/cli.cjs',
  logLevel: 'warning',
  legalComments: 'none',
  define: { 'import.meta.url': '__agentFileUrl' },
  banner: { js: 'const __agentFileUrl = require("node:url").pathToFileURL(__filename).href;' },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await build(agentBuild);
