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
