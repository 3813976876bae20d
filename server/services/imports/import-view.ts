import { and, arrayOverlaps, asc, desc, eq, gt, inArray, or, type SQL, sql } from 'drizzle-orm';
import { accounts } from '../../../db/schema/accounts.ts';
import {
  type ImportKind,
  type ImportPlan,
  type ImportStatus,
  importRows,
  imports,
} from '../../../db/schema/imports.ts';
import { personOrganisations } from '../../../db/schema/people.ts';
import { NotFoundError } from '../../errors.ts';
import type { Permission } from '../../permissions/permissions.ts';
import { actorScope } from '../access/actor-scope.ts';
import type { ServiceContext } from '../context.ts';

/** An account that checked or applied an import. */
export interface ImportAccount {
  username: string;
  displayName: string;
}

/** An import as its page shows it: the dry run's counts, then progress and outcomes. */
export interface ImportView {
  id: string;
  kind: ImportKind;
  fileName: string;
  status: ImportStatus;
  reason: string | null;
  rowCount: number;
  planned: Record<string, number>;
  done: number;
  outcomes: Record<string, number>;
  createdAt: string;
  /** Who checked it: their display name is what a page says, their username tells them apart. */
  createdBy: ImportAccount | null;
  applyStartedAt: string | null;
  appliedBy: ImportAccount | null;
  finishedAt: string | null;
}

/** The permission each kind of import needs: see it, apply it. */
export const importPermission: Record<ImportKind, Permission> = {
  esr: 'people:import',
  card_cancellation: 'cards:cancel-batch',
};

const noSuchImport = 'There is no such import.';

/**
 * An import, to whoever holds its kind's permission (and only the one who made it or
 * anyone with the permission sees it: the rows say who is where, so it is RA work).
 */
export async function viewImport(
  ctx: ServiceContext,
  id: string,
  kind?: ImportKind,
): Promise<ImportView> {
  const [row] = await ctx.db.select().from(imports).where(eq(imports.id, id));
  if (!row || (kind && row.kind !== kind) || !(await mayView(ctx, row))) {
    throw new NotFoundError(noSuchImport);
  }
  return viewOf(ctx, row);
}

async function viewOf(ctx: ServiceContext, row: typeof imports.$inferSelect): Promise<ImportView> {
  const names = new Map<string, ImportAccount>();
  for (const accountId of [row.createdBy, row.appliedBy]) {
    if (!accountId || names.has(accountId)) continue;
    const [a] = await ctx.db
      .select({ username: accounts.username, displayName: accounts.displayName })
      .from(accounts)
      .where(eq(accounts.id, accountId));
    if (a) names.set(accountId, a);
  }
  return {
    id: row.id,
    kind: row.kind,
    fileName: row.fileName,
    status: row.status,
    reason: row.reason,
    rowCount: row.rowCount,
    planned: row.planned,
    done: row.done,
    outcomes: row.outcomes,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy ? (names.get(row.createdBy) ?? null) : null,
    applyStartedAt: row.applyStartedAt?.toISOString() ?? null,
    appliedBy: row.appliedBy ? (names.get(row.appliedBy) ?? null) : null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Its maker, and holders of its kind's permission in one of the organisations it names
 * (everywhere, for a national role); to anyone else it does not exist.
 */
async function mayView(ctx: ServiceContext, row: typeof imports.$inferSelect): Promise<boolean> {
  const permission = importPermission[row.kind];
  if (!ctx.actor?.permissions.includes(permission)) return false;
  if (row.createdBy === ctx.actor.accountId) return true;
  const scope = await actorScope(ctx);
  return scope.of(permission).all || scope.coversAny(permission, row.odsCodes);
}

/**
 * The latest imports of a kind the caller may see, newest first (the page's list): the
 * scope is in the query, so another trust's newer imports never crowd out the caller's own.
 */
export async function listImports(ctx: ServiceContext, kind: ImportKind): Promise<ImportView[]> {
  const permission = importPermission[kind];
  const accountId = ctx.actor?.accountId;
  if (!accountId || !ctx.actor?.permissions.includes(permission)) return [];
  const scope = (await actorScope(ctx)).of(permission);
  const codes = scope.all ? [] : [...scope.odsCodes];
  const rows = await ctx.db
    .select()
    .from(imports)
    .where(
      and(
        eq(imports.kind, kind),
        scope.all
          ? undefined
          : or(
              eq(imports.createdBy, accountId),
              codes.length ? arrayOverlaps(imports.odsCodes, codes) : undefined,
            ),
      ),
    )
    .orderBy(desc(imports.createdAt), desc(imports.id))
    .limit(20);
  return Promise.all(rows.map((r) => viewOf(ctx, r)));
}

export interface ImportRowView {
  line: number;
  key: string;
  fields: Record<string, string>;
  plan: ImportPlan;
  message: string;
  personId: string | null;
  outcome: string | null;
  outcomeMessage: string | null;
}

/**
 * Which of an import's rows the caller may read: all of them for its maker and a national
 * role; for anyone else who sees the import (it names one of their organisations), only the
 * rows about their organisations: an ESR row at one of them, a card held by one of their
 * people. A national manager's file names staff of every trust, and a trust's RA reads its
 * own staff's names and dates of birth in it, never another trust's.
 */
async function visibleRows(ctx: ServiceContext, id: string): Promise<SQL | undefined> {
  const [imp] = await ctx.db
    .select({ kind: imports.kind, createdBy: imports.createdBy })
    .from(imports)
    .where(eq(imports.id, id));
  if (!imp || imp.createdBy === ctx.actor?.accountId) return undefined;
  const scope = (await actorScope(ctx)).of(importPermission[imp.kind]);
  if (scope.all) return undefined;
  const codes = [...scope.odsCodes];
  if (!codes.length) return sql`false`;
  if (imp.kind === 'esr') return inArray(sql`${importRows.fields}->>'ods_code'`, codes);
  return inArray(
    importRows.personId,
    ctx.db
      .select({ id: personOrganisations.personId })
      .from(personOrganisations)
      .where(inArray(personOrganisations.odsCode, codes)),
  );
}

/** An import's rows in line order, after `afterLine`, optionally of one plan: a keyset page. */
export async function listImportRows(
  ctx: ServiceContext,
  id: string,
  input: {
    plan?: ImportPlan | undefined;
    afterLine?: number | undefined;
    limit?: number | undefined;
  },
): Promise<{ items: ImportRowView[]; nextAfterLine: number | null }> {
  await viewImport(ctx, id);
  const limit = Math.min(Math.max(input.limit ?? 100, 1), 500);
  const where: SQL[] = [eq(importRows.importId, id)];
  const visible = await visibleRows(ctx, id);
  if (visible) where.push(visible);
  if (input.plan) where.push(eq(importRows.plan, input.plan));
  if (input.afterLine !== undefined) where.push(gt(importRows.line, input.afterLine));
  const rows = await ctx.db
    .select({
      line: importRows.line,
      key: importRows.key,
      fields: importRows.fields,
      plan: importRows.plan,
      message: importRows.message,
      personId: importRows.personId,
      outcome: importRows.outcome,
      outcomeMessage: importRows.outcomeMessage,
    })
    .from(importRows)
    .where(and(...where))
    .orderBy(asc(importRows.line))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return {
    items,
    nextAfterLine: rows.length > limit ? (items[items.length - 1]?.line ?? null) : null,
  };
}
