import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../db/client.ts';
import { type RoleName, roleNames } from '../../db/schema/accounts.ts';
import { loadConfig } from '../config.ts';
import { DomainError } from '../errors.ts';
import { createAccount } from '../services/accounts/create-account.ts';
import { deriveAuditKeys } from '../services/audit/audit-keys.ts';
import { auditSecretFor } from '../services/audit/audit-secret.ts';

const usage = `Creates a login and prints its one-time activation code (valid 7 days).
The owner opens /activate in the web app, or POSTs /api/auth/activate, to choose a password.

  npm run account -- create --username NAME --name "Display Name" --role ROLE [--ods CODE] [--email E]

ROLE is one of: ${roleNames.join(', ')}. Every role but staff needs --ods.
Uses DATABASE_URL (or the embedded database in DATA_DIR), like the server.`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      username: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      ods: { type: 'string' },
      email: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'create') {
    console.log(usage);
    process.exit(values.help ? 0 : 2);
  }
  const role = values.role as RoleName | undefined;
  if (!values.username || !values.name || !role || !roleNames.includes(role)) {
    console.error(`--username, --name and a valid --role are needed.\n\n${usage}`);
    process.exit(2);
  }
  if (role !== 'staff' && !values.ods) {
    console.error(`A ${role} acts for an organisation: give --ods (e.g. --ods RWG).`);
    process.exit(2);
  }
  const config = loadConfig(process.env);
  const auditKeys = deriveAuditKeys(auditSecretFor(config), config.auditUnkeyedEvents);
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
    const { activation } = await createAccount(ctx, {
      username: values.username,
      displayName: values.name,
      email: values.email ?? null,
      roles: [{ role, odsCode: values.ods ?? null }],
    });
    console.log(
      `Created ${activation.username} (${role}${values.ods ? ` at ${values.ods}` : ''}).\nActivation code: ${activation.code}\nValid until ${activation.expiresAt.toISOString()}. Hand it over in person.`,
    );
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
