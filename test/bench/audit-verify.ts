/**
 * npm run bench:audit — seeds a trail of EVENTS keyed audit events (default 200,000) with a
 * valid chain, then prints events per second for a full verification (from the first event)
 * and the time of an incremental one (from a checkpoint, over the events written since).
 * PostgreSQL when BENCH_DATABASE_URL (or TEST_DATABASE_URL) names a server (a database is
 * created and dropped), else the embedded PGlite in memory.
 */
import { randomBytes } from 'node:crypto';
import { count, sql } from 'drizzle-orm';
import { auditCheckpoints, auditEvents } from '../../db/schema/audit.ts';
import { genesisHash, keyedAuditHash } from '../../server/services/audit/audit-hash.ts';
import { deriveAuditKeys } from '../../server/services/audit/audit-keys.ts';
import { type CheckpointFields, signCheckpoint } from '../../server/services/audit/checkpoints.ts';
import { verifyAuditChain } from '../../server/services/audit/verify-audit-chain.ts';
import { chainStart, walkChain } from '../../server/services/audit/walk-chain.ts';
import { openTestDatabase } from '../support/databases.ts';

const total = Number(process.env.EVENTS ?? 200_000);
const sinceCheckpoint = Number(process.env.SINCE_CHECKPOINT ?? 1_000);
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (serverUrl) process.env.TEST_DATABASE_URL = serverUrl;

const keys = deriveAuditKeys(randomBytes(32).toString('base64url'));
const actions = ['auth.login', 'person.registered', 'assignment.created', 'card.flag_raised'];

async function main() {
  const driver = serverUrl ? 'postgres' : 'pglite';
  const handle = await openTestDatabase(driver);
  const db = handle.db;
  let prevHash = genesisHash;
  let at = Date.parse('2026-01-01T00:00:00Z');
  const seed = async (n: number) => {
    for (let done = 0; done < n; ) {
      const rows = [];
      for (let i = 0; i < 1000 && done < n; i++, done++) {
        at += 1000;
        const content = {
          occurredAt: new Date(at),
          actorAccountId: '6f1c0a52-3c1e-4c1b-9b59-0f7f5d0b3a11',
          actorUsername: 'agent',
          actorWorkstationId: null,
          action: actions[done % actions.length] ?? 'x',
          subjectType: 'person',
          subjectId: '0d9a3f2e-8a4b-4c7e-9a51-2f9c8e7d6b10',
          summary: { positionId: 'a1b2', position: 'Ward clerk', startDate: '2026-01-01' },
          requestId: '5b7d1c9e-2f4a-4e8b-a6c3-1d2e3f4a5b6c',
          address: '10.1.2.3',
        };
        const hash = keyedAuditHash(keys.chainKey, prevHash, content);
        rows.push({ ...content, prevHash, hash, hashVersion: 2 });
        prevHash = hash;
      }
      await db.insert(auditEvents).values(rows);
    }
  };

  let started = performance.now();
  await seed(total);
  console.log(
    `${driver}: seeded ${total} events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (driver === 'postgres') await db.execute(sql`vacuum analyze audit_events`);

  started = performance.now();
  const full = await walkChain(db, keys, chainStart);
  const fullSeconds = (performance.now() - started) / 1000;
  if (!full.ok) throw new Error(`the seeded chain is broken: ${full.problem}`);
  const rate = full.checked / fullSeconds;
  console.log(
    `full verify: ${full.checked} events in ${fullSeconds.toFixed(2)} s = ${Math.round(rate)} events/s` +
      ` (5.3 million would take about ${Math.round(5_300_000 / rate)} s)`,
  );

  // A checkpoint over everything so far, then a minute's worth of new events after it.
  const fields: CheckpointFields = {
    eventCount: full.end.count,
    lastEventId: full.end.afterId,
    lastHash: full.end.prevHash,
    createdAt: new Date(),
    keyId: keys.keyId,
  };
  await db.insert(auditCheckpoints).values({ ...fields, signature: signCheckpoint(keys, fields) });
  await seed(sinceCheckpoint);
  const ctx = {
    db,
    actor: null,
    requestId: null,
    address: null,
    now: () => new Date(),
    auditKeys: keys,
  };
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    started = performance.now();
    const verdict = await verifyAuditChain(ctx);
    times.push(performance.now() - started);
    if (!verdict.ok || verdict.checked !== sinceCheckpoint) {
      throw new Error(`incremental verify: ${JSON.stringify(verdict)}`);
    }
  }
  times.sort((a, b) => a - b);
  started = performance.now();
  await db.select({ n: count() }).from(auditEvents);
  const countMs = performance.now() - started;
  console.log(
    `incremental verify (${sinceCheckpoint} events since the checkpoint, ${total} before it): median ${times[2]?.toFixed(0)} ms of 5` +
      ` (it counts no events; counting all of them would take about ${countMs.toFixed(0)} ms)`,
  );
  await handle.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
