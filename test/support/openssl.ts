import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from './program-runner.ts';

/**
 * The openssl CLI as an outside relying party: it reads what our CA publishes from files in
 * a temporary directory. The server never runs it.
 */
export function opensslWorkbench(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let count = 0;
  /** A new file in the directory holding `contents`; returns its path. */
  const file = (contents: string | Uint8Array, ext = 'pem'): string => {
    const path = join(dir, `${++count}.${ext}`);
    writeFileSync(path, contents);
    return path;
  };
  /** A path for openssl to write to. */
  const output = (ext: string) => join(dir, `${++count}.${ext}`);
  /** Runs openssl to its end (started by a small helper: test/support/program-runner.ts). */
  const run = async (args: string[]) => {
    const result = await runProgram('/usr/bin/openssl', args);
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };
  return { dir, file, output, run };
}

/** DER as PEM, with the label openssl expects (CERTIFICATE, X509 CRL). */
export function pem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
