import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../config.ts';

/**
 * The CA key passphrase: CA_KEY_PASSPHRASE or CA_KEY_PASSPHRASE_FILE; for the embedded
 * database, made once and kept beside the data (`DATA_DIR/ca-key.passphrase`, readable by us
 * only), like the audit key. With DATABASE_URL it must be given: undefined here, and the
 * caller refuses to start once a CA exists.
 */
export function caPassphraseFor(config: Config): string | undefined {
  if (config.caKeyPassphrase) return config.caKeyPassphrase;
  if (config.databaseUrl) return undefined;
  const dataDir = resolve(config.dataDir);
  const file = join(dataDir, 'ca-key.passphrase');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}
