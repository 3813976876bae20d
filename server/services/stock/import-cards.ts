import { eq, inArray, sql } from 'drizzle-orm';
import { cardLocations, cards } from '../../../db/schema/cards.ts';
import { ConflictError, type FieldProblem, ValidationError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import { type ServiceContext, withTransaction } from '../context.ts';
import { type CardLocationView, findStockLocation, stockScope } from './card-locations.ts';
import {
  type ImportFormat,
  type ImportLine,
  type LineProblem,
  type ParsedImport,
  parseImport,
} from './import-lines.ts';
import { requirePassphrase, transportKeySealer } from './transport-key.ts';

export interface ImportCardsInput {
  locationId: string;
  /** The pasted list or the CSV file's content. */
  text: string;
  format: ImportFormat;
  /** Import the good lines of a text with bad ones, and report the bad; otherwise none. */
  acceptValidLines?: boolean | undefined;
}

export interface ImportCardsResult {
  imported: number;
  location: CardLocationView;
  /** The lines not imported, each with why (only when acceptValidLines was given). */
  rejected: LineProblem[];
}

/** A problem with one line of the text, as the API reports it: the field, the line, why. */
export type ImportLineProblem = FieldProblem & { line: number };

/** Queues imports (a namespace of its own, beside the audit chain's and people's locks). */
const importLock = sql`select pg_advisory_xact_lock(7305023, 1)`;

// Few enough values for one statement's parameters on both drivers.
const chunk = 1000;
const chunks = <T>(items: readonly T[], size = chunk): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );

const stateWords: Record<string, string> = {
  in_stock: 'in stock',
  issued_locked: 'issued (passcode not yet set)',
  active: 'issued',
  blocked: 'issued (PIN blocked)',
  suspended: 'suspended',
  cancelled: 'cancelled',
  returned: 'returned',
  destroyed: 'destroyed',
};

/**
 * The lines naming a card this RA knows already, whatever its state or where it is, matched
 * without regard to case (as GET /api/cards/{serial} finds one). Where the card is at one of
 * the caller's locations, the message says where and in what state; elsewhere it says only
 * that the card is known.
 */
async function knownSerialProblems(
  ctx: ServiceContext,
  entries: readonly ImportLine[],
): Promise<LineProblem[]> {
  const scope = await stockScope(ctx);
  const known = new Map<
    string,
    { state: string; location: string | null; odsCode: string | null }
  >();
  for (const part of chunks(entries.map((e) => e.serial.toLowerCase()))) {
    const rows = await ctx.db
      .select({
        serial: cards.serial,
        state: cards.state,
        location: cardLocations.name,
        odsCode: cardLocations.odsCode,
      })
      .from(cards)
      .leftJoin(cardLocations, eq(cardLocations.id, cards.locationId))
      .where(inArray(sql`lower(${cards.serial})`, part));
    for (const r of rows) known.set(r.serial.toLowerCase(), r);
  }
  const problems: LineProblem[] = [];
  for (const entry of entries) {
    const card = known.get(entry.serial.toLowerCase());
    if (!card) continue;
    const ours = card.odsCode !== null && (scope.all || scope.odsCodes.has(card.odsCode));
    problems.push({
      line: entry.line,
      message: ours
        ? `Line ${entry.line}: card ${entry.serial} is known already: ${stateWords[card.state] ?? card.state}, at ${card.location} (${card.odsCode})`
        : `Line ${entry.line}: card ${entry.serial} is known to this RA already`,
    });
  }
  return problems;
}

export interface ImportCheck {
  parsed: ParsedImport;
  /** Every bad line, malformed or already known, by line number. */
  lineProblems: LineProblem[];
  /** The lines that may be imported. */
  good: ImportLine[];
}

/** Reads the text and looks its serials up: what an import of it would do, and what not. */
export async function checkImport(
  ctx: ServiceContext,
  input: { text: string; format: ImportFormat },
): Promise<ImportCheck> {
  const parsed = parseImport(input.text, input.format);
  if (parsed.problem) return { parsed, lineProblems: [], good: [] };
  const known = await knownSerialProblems(ctx, parsed.entries);
  const lineProblems = [...parsed.lineProblems, ...known].sort((a, b) => a.line - b.line);
  const bad = new Set(known.map((p) => p.line));
  return { parsed, lineProblems, good: parsed.entries.filter((e) => !bad.has(e.line)) };
}

/** The problems of an import as the API's field problems, each line's under `text`. */
export function importFieldProblems(check: ImportCheck): ImportLineProblem[] | FieldProblem[] {
  if (check.parsed.problem) return [{ field: 'text', message: check.parsed.problem }];
  return check.lineProblems.map((p) => ({ field: 'text', line: p.line, message: p.message }));
}

function lineErrors(check: ImportCheck): ValidationError {
  const bad = check.lineProblems.length;
  const good = check.good.length;
  const lines = bad === 1 ? '1 line needs' : `${bad.toLocaleString('en-GB')} lines need`;
  const others =
    good === 0
      ? 'No line can be imported.'
      : `${good === 1 ? '1 other line is' : `${good.toLocaleString('en-GB')} other lines are`} good: fix the others and import again, or import the good ${good === 1 ? 'one' : 'ones'} alone.`;
  return new ValidationError(
    `${lines} fixing; nothing was imported. ${others}`,
    importFieldProblems(check),
  );
}

/**
 * Imports blank cards by serial into a location where the caller manages stock, each in
 * state `in_stock` with its management key (the manufacturer's default unless the line gives
 * one) sealed under the CA key passphrase. A text with any bad line (malformed, a serial
 * repeated, a card known already) imports nothing unless `acceptValidLines` says to import
 * the good lines and report the others. One transaction and one audit event per import.
 */
export async function importCards(
  ctx: ServiceContext,
  input: ImportCardsInput,
  passphrase: string | undefined,
): Promise<ImportCardsResult> {
  const location = await findStockLocation(ctx, input.locationId);
  const secret = requirePassphrase(passphrase);
  const check = await checkImport(ctx, input);
  if (check.parsed.problem) throw ValidationError.of(importFieldProblems(check));
  if (check.good.length === 0 || (check.lineProblems.length && !input.acceptValidLines)) {
    throw lineErrors(check);
  }
  // The passphrase's key is derived (slowly, once per process) before the transaction opens.
  const seal = await transportKeySealer(secret);
  return withTransaction(ctx, async (tx) => {
    // Serials are one card whatever their case, which the unique index (on the serial as
    // written) cannot hold: imports take turns, and each looks again once it has its turn
    // (under READ COMMITTED each statement after the lock sees what went before).
    await tx.db.execute(importLock);
    if ((await knownSerialProblems(tx, check.good)).length) {
      throw new ConflictError(
        'Another import took some of these cards at the same moment; nothing was imported. Check the stock and import again.',
      );
    }
    const now = tx.now();
    for (const part of chunks(check.good, 500)) {
      await tx.db.insert(cards).values(
        part.map((e) => ({
          serial: e.serial,
          state: 'in_stock' as const,
          stateChangedAt: now,
          locationId: location.id,
          encryptedTransportKey: seal(e.serial, e.managementKey),
          managementKey: 'transport' as const,
          createdAt: now,
          updatedAt: now,
        })),
      );
    }
    await recordAuditEvent(tx, {
      action: 'card.stock_imported',
      subjectType: 'card_location',
      subjectId: location.id,
      summary: {
        location: location.name,
        odsCode: location.organisation.odsCode,
        count: check.good.length,
        format: input.format,
        withDefaultKey: check.good.filter((e) => e.defaultKey).length,
        linesNotImported: check.lineProblems.length,
      },
    });
    return { imported: check.good.length, location, rejected: check.lineProblems };
  });
}
