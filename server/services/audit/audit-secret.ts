import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Config, ConfigError } from '../../config.ts';

/**
 * The audit trail's secret: AUDIT_KEY or AUDIT_KEY_FILE; for the embedded database, made
 * once and kept beside the data (`DATA_DIR/audit.key`, readable by us only). A database
 * given by DATABASE_URL must be given the key too: it must not live in the database.
 */
export function auditSecretFor(config: Config): string {
  if (config.auditKey) return config.auditKey;
  if (config.databaseUrl) {
    throw new ConfigError(
      'Invalid configuration:\n  AUDIT_KEY: required with DATABASE_URL (32+ characters of secret, the same for every server process, kept outside the database; or AUDIT_KEY_FILE naming a file that holds it)',
    );
  }
  const dataDir = resolve(config.dataDir);
  const file = join(dataDir, 'audit.key');
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
