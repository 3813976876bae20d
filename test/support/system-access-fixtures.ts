import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { assignments, clinicalSystems, positions } from '../../db/schema/access.ts';

/** A row of the system-access report, as GET /api/reports/system-access gives it. */
export interface SystemRow {
  system: string;
  people: number;
  positions: number;
}

/**
 * The system-access report worked out afresh, in JavaScript, from every position and
 * assignment: people and positions holding, on `today`, an active position of the covered
 * organisations that opens each system (a person counted once per system). What the kept
 * counts (db/migrations/0023) must agree with.
 */
export async function recountSystemAccess(
  db: Database,
  today: string,
  covered: 'all' | readonly string[],
): Promise<SystemRow[]> {
  const all = await db.select().from(positions);
  const held = (await db.select().from(assignments)).filter(
    (a) => !a.endedAt && a.startDate <= today && (a.endDate === null || a.endDate >= today),
  );
  return clinicalSystems.map((system) => {
    const opening = new Set(
      all
        .filter(
          (p) =>
            p.status === 'active' &&
            p.systems.includes(system) &&
            (covered === 'all' || covered.includes(p.odsCode)),
        )
        .map((p) => p.id),
    );
    const holding = held.filter((a) => opening.has(a.positionId));
    return {
      system,
      people: new Set(holding.map((a) => a.personId)).size,
      positions: new Set(holding.map((a) => a.positionId)).size,
    };
  });
}

// PGlite answers `execute` with { rows }, postgres.js with the rows themselves.
const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

/**
 * A position written straight to the table (the counts' triggers see it as any other), named
 * `<label> <random>`, opening `systems`: its id.
 */
export async function insertPosition(
  db: Database,
  odsCode: string,
  systems: string[],
  label: string,
): Promise<string> {
  const [row] = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into positions (ods_code, name, systems, assignable, created_at, updated_at)
      values (${odsCode}, ${`${label} ${randomBytes(4).toString('hex')}`},
              ${`{${systems.join(',')}}`}::text[], true, now(), now())
      returning id`),
  );
  return row?.id ?? '';
}

/** An assignment written straight to the table, from `today` unless a start is given: its id. */
export async function insertAssignment(
  db: Database,
  today: string,
  personId: string,
  positionId: string,
  dates: { start?: string; end?: string | null } = {},
): Promise<string> {
  const [row] = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into assignments (person_id, position_id, start_date, end_date, created_at)
      values (${personId}, ${positionId}, ${dates.start ?? today}, ${dates.end ?? null}, now())
      returning id`),
  );
  return row?.id ?? '';
}
