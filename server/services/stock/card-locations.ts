import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { cardLocations } from '../../../db/schema/cards.ts';
import { organisations } from '../../../db/schema/organisations.ts';
import { DomainError, NotFoundError, ValidationError } from '../../errors.ts';
import { actorScope, assertInScope, type OrganisationScope } from '../access/actor-scope.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { findOrganisation } from '../organisations/find-organisation.ts';

/** The answer for a location the caller may not see, word for word that for one that does not exist. */
export const noSuchLocation = 'There is no such card location.';

/** A place where blank and returned cards are kept, with its organisation. */
export interface CardLocationView {
  id: string;
  name: string;
  organisation: { odsCode: string; name: string };
  createdAt: string;
}

/** Where the caller manages card stock. */
export async function stockScope(ctx: ServiceContext): Promise<OrganisationScope> {
  return (await actorScope(ctx)).of('card-stock:manage');
}

/** The condition "the location is in `scope`", or null when the scope reaches nowhere. */
export function locationInScope(scope: OrganisationScope): SQL | undefined | null {
  if (scope.all) return undefined;
  if (scope.odsCodes.size === 0) return null;
  return inArray(cardLocations.odsCode, [...scope.odsCodes]);
}

const view = {
  id: cardLocations.id,
  name: cardLocations.name,
  odsCode: cardLocations.odsCode,
  organisationName: organisations.name,
  createdAt: cardLocations.createdAt,
};

type Row = { id: string; name: string; odsCode: string; organisationName: string; createdAt: Date };

const viewOf = (r: Row): CardLocationView => ({
  id: r.id,
  name: r.name,
  organisation: { odsCode: r.odsCode, name: r.organisationName },
  createdAt: r.createdAt.toISOString(),
});

/** The card locations of the organisations where the caller manages stock, by organisation and name. */
export async function listCardLocations(ctx: ServiceContext): Promise<CardLocationView[]> {
  const where = locationInScope(await stockScope(ctx));
  if (where === null) return [];
  const rows = await ctx.db
    .select(view)
    .from(cardLocations)
    .innerJoin(organisations, eq(organisations.odsCode, cardLocations.odsCode))
    .where(where)
    .orderBy(asc(cardLocations.odsCode), asc(cardLocations.name));
  return rows.map(viewOf);
}

/** One location the caller manages stock at; any other is answered as absent (404). */
export async function findStockLocation(
  ctx: ServiceContext,
  id: string,
): Promise<CardLocationView> {
  const scope = await stockScope(ctx);
  const [row] = await ctx.db
    .select(view)
    .from(cardLocations)
    .innerJoin(organisations, eq(organisations.odsCode, cardLocations.odsCode))
    .where(eq(cardLocations.id, id));
  if (!row || !(scope.all || scope.odsCodes.has(row.odsCode))) {
    throw new NotFoundError(noSuchLocation);
  }
  return viewOf(row);
}

/**
 * Adds a location to an organisation where the caller manages stock: its name is new to that
 * organisation, whatever its case. Audited in the same transaction.
 */
export async function createCardLocation(
  ctx: ServiceContext,
  input: { odsCode: string; name: string },
): Promise<CardLocationView> {
  return withTransaction(ctx, async (tx) => {
    const org = await findOrganisation(tx, input.odsCode);
    if (!org) {
      throw ValidationError.of([{ field: 'odsCode', message: 'is not a known ODS code' }]);
    }
    await assertInScope(tx, 'card-stock:manage', org.odsCode, 'card stock');
    if (org.status !== 'active') {
      throw ValidationError.of([
        { field: 'odsCode', message: `${org.odsCode} is closed: choose an open organisation` },
      ]);
    }
    const [taken] = await tx.db
      .select({ id: cardLocations.id })
      .from(cardLocations)
      .where(
        and(
          eq(cardLocations.odsCode, org.odsCode),
          sql`lower(${cardLocations.name}) = lower(${input.name})`,
        ),
      );
    if (taken) {
      const message = `${org.odsCode} already has a card location called "${input.name}". Give this one another name.`;
      // Named by its field too, so the form shows it beside Name.
      throw new DomainError('CONFLICT', message, [{ field: 'name', message }]);
    }
    const [row] = await tx.db
      .insert(cardLocations)
      .values({ odsCode: org.odsCode, name: input.name, createdAt: tx.now() })
      .returning({ id: cardLocations.id });
    if (!row) throw new Error('card location insert returned no row');
    await recordAuditEvent(tx, {
      action: 'card.location_created',
      subjectType: 'card_location',
      subjectId: row.id,
      summary: { location: input.name, odsCode: org.odsCode },
    });
    return findStockLocation(tx, row.id);
  });
}
