import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../db/client.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { DomainError } from '../errors.ts';
import { deriveAuditKeys } from '../services/audit/audit-keys.ts';
import { auditSecretFor } from '../services/audit/audit-secret.ts';
import { caPassphraseFor } from '../services/pki/ca-passphrase.ts';
import { initCertificateAuthority } from '../services/pki/certificate-authority.ts';

const usage = `Creates this deployment's certificate authority (a root CA and an issuing CA) and
prints what it made. The private keys are stored encrypted under CA_KEY_PASSPHRASE (or the
file CA_KEY_PASSPHRASE_FILE names); neither the keys nor the passphrase are ever printed.

  npm run ca -- init --organisation "Royal Wessex Group"

Uses DATABASE_URL (or the embedded database in DATA_DIR), like the server. Refuses if the
deployment already has its CA.`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      organisation: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'init') {
    console.log(usage);
    process.exit(values.help ? 0 : 2);
  }
  const organisation = values.organisation?.trim();
  if (!organisation) {
    console.error(`--organisation is needed: it names both CAs.\n\n${usage}`);
    process.exit(2);
  }
  let config: ReturnType<typeof loadConfig>;
  let auditSecret: string;
  let passphrase: string | undefined;
  try {
    config = loadConfig(process.env);
    auditSecret = auditSecretFor(config);
    passphrase = caPassphraseFor(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  if (!passphrase) {
    console.error(
      'Invalid configuration:\n  CA_KEY_PASSPHRASE: required with DATABASE_URL (or CA_KEY_PASSPHRASE_FILE naming a file that holds it)',
    );
    process.exit(2);
  }
  const auditKeys = deriveAuditKeys(auditSecret, config.auditUnkeyedEvents);
  const handle = config.databaseUrl
    ? await openDatabase({
        driver: 'postgres',
        url: config.databaseUrl,
        ownerUrl: config.databaseOwnerUrl,
      })
    : await openDatabase({ driver: 'pglite', dataDir: resolve(config.dataDir) });
  try {
    await handle.migrate();
    const ctx = {
      db: handle.db,
      actor: null,
      requestId: null,
      address: 'cli',
      now: () => new Date(),
      auditKeys,
    };
    const made = await initCertificateAuthority(ctx, { passphrase, organisation });
    for (const ca of made) {
      console.log(
        [
          `${ca.name === 'root' ? 'Root' : 'Issuing'} CA`,
          `  Subject:      ${ca.subject}`,
          `  Serial:       ${ca.serialNumber}`,
          `  Valid:        ${ca.notBefore.toISOString()} to ${ca.notAfter.toISOString()}`,
          `  SHA-256:      ${ca.sha256Fingerprint}`,
        ].join('\n'),
      );
    }
    console.log('Published at /pki/root.crt, /pki/issuing.crt, /pki/issuing.crl and /pki/ocsp.');
  } catch (err) {
    if (err instanceof DomainError) {
      console.error(err.message);
      process.exitCode = 1;
    } else throw err;
  } finally {
    await handle.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
