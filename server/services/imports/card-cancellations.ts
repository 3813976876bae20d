import { eq } from 'drizzle-orm';
import { imports } from '../../../db/schema/imports.ts';
import { people } from '../../../db/schema/people.ts';
import { DomainError, NotFoundError } from '../../errors.ts';
import { recordAuditEvent } from '../audit/record-audit-event.ts';
import {
  assertMayViewCard,
  findCard,
  lifecycleActorFor,
  outOfScopeRefusal,
} from '../cards/card-access.ts';
import {
  type CardReason,
  planTransition,
  reasonWords,
  transitionFrom,
} from '../cards/card-lifecycle.ts';
import { transitionCardTx } from '../cards/transition-card.ts';
import { type ServiceContext, type TxContext, withTransaction } from '../context.ts';
import { serialPattern } from '../stock/import-lines.ts';
import type { PendingRow, RowOutcome } from './apply-esr-rows.ts';
import { type ImportView, viewImport } from './import-view.ts';
import type { RowPlan } from './plan-esr-rows.ts';
import { fileProblem } from './read-csv.ts';
import { countPlans, type StagedRow, stageRows } from './stage-rows.ts';

/** The most cards one list cancels. */
export const maxCancellationLines = 10_000;

/** What cancelling one card would do now, or why it cannot: the dry run's row. */
async function planCancellation(
  tx: TxContext,
  serial: string,
  reason: CardReason,
): Promise<Pick<RowPlan, 'plan' | 'message' | 'personId'> & { odsCodes?: string[] }> {
  const refuse = (message: string) => ({ plan: 'refuse' as const, message, personId: null });
  if (!serialPattern.test(serial)) {
    return refuse(
      `"${serial.slice(0, 40)}" is not a card serial (1 to 64 letters, digits and hyphens).`,
    );
  }
  const card = await findCard(tx, serial);
  const unknown = `No card has the serial ${serial}, or none you may see.`;
  if (!card) return refuse(unknown);
  try {
    await assertMayViewCard(tx, card);
  } catch (error) {
    if (error instanceof NotFoundError) return refuse(unknown);
    throw error;
  }
  if (card.state === 'cancelled') {
    return { plan: 'unchanged', message: 'Cancelled already.', personId: card.personId };
  }
  const actor = await lifecycleActorFor(tx, card);
  const plan = planTransition({
    card: { state: card.state, holderAccountId: card.holderAccountId },
    actor,
    verb: 'cancel',
    reason,
  });
  if (!plan.ok) {
    const row = transitionFrom(card.state, 'cancel');
    const refusal =
      row && plan.error.code === 'FORBIDDEN' ? await outOfScopeRefusal(tx, card, row) : null;
    return { ...refuse((refusal ?? plan.error).message), personId: card.personId };
  }
  // Whose card it is, in the line's own words: a wrong serial in a pasted list shows here,
  // before anyone's card is cancelled.
  const [holder] = card.personId
    ? await tx.db
        .select({ given: people.givenName, family: people.familyName })
        .from(people)
        .where(eq(people.id, card.personId))
    : [];
  const whose = holder ? `${holder.given} ${holder.family}’s card` : 'A card with no holder';
  return {
    odsCodes: card.odsCodes,
    plan: 'cancel',
    message: `Cancel (${reasonWords[reason]}): ${whose}, ${card.state.replaceAll('_', ' ')} → cancelled; its certificates are revoked.`,
    personId: card.personId,
  };
}

/**
 * The dry run of cancelling cards from a list (one serial a line, or a CSV whose first
 * column is the serial): per line, what would happen or why it cannot. Nothing changes.
 */
export async function checkCardCancellation(
  ctx: ServiceContext,
  input: { fileName: string; text: string; reason: CardReason },
): Promise<ImportView> {
  const lines = input.text.split(/\r?\n/);
  const entries: { line: number; serial: string }[] = [];
  lines.forEach((raw, i) => {
    const serial = (raw.split(/[,;\t]/)[0] ?? '').trim().replace(/^"|"$/g, '');
    if (!serial || (i === 0 && /^serial$/i.test(serial))) return;
    entries.push({ line: i + 1, serial });
  });
  if (!entries.length) throw fileProblem('The list is empty: give one card serial a line.');
  if (entries.length > maxCancellationLines) {
    throw fileProblem(
      `The list has ${entries.length.toLocaleString('en-GB')} cards; cancel at most ${maxCancellationLines.toLocaleString('en-GB')} at a time.`,
    );
  }
  return withTransaction(ctx, async (tx) => {
    const [created] = await tx.db
      .insert(imports)
      .values({
        kind: 'card_cancellation',
        fileName: input.fileName,
        reason: input.reason,
        rowCount: entries.length,
        planned: {},
        createdBy: ctx.actor?.accountId ?? null,
        createdAt: ctx.now(),
      })
      .returning({ id: imports.id });
    if (!created) throw new Error('import insert returned no row');
    const seen = new Map<string, number>();
    const odsCodes = new Set<string>();
    const staged: StagedRow[] = [];
    for (const { line, serial } of entries) {
      const first = seen.get(serial.toLowerCase());
      const plan =
        first !== undefined
          ? {
              plan: 'refuse' as const,
              message: `The serial is also on line ${first}.`,
              personId: null,
            }
          : await planCancellation(tx, serial, input.reason);
      if (first === undefined) seen.set(serial.toLowerCase(), line);
      const { odsCodes: cardOrganisations = [], ...planned } = plan;
      for (const code of cardOrganisations) odsCodes.add(code);
      staged.push({ line, key: serial, fields: { serial }, ...planned });
    }
    await stageRows(tx, created.id, staged);
    const planned: Record<string, number> = {};
    countPlans(planned, staged);
    await tx.db
      .update(imports)
      .set({ planned, odsCodes: [...odsCodes].sort() })
      .where(eq(imports.id, created.id));
    await recordAuditEvent(tx, {
      action: 'import.checked',
      subjectType: 'import',
      subjectId: created.id,
      summary: {
        kind: 'card_cancellation',
        fileName: input.fileName,
        rows: entries.length,
        reason: input.reason,
        planned,
      },
    });
    return viewImport(tx, created.id);
  });
}

/**
 * Cancels the batch's cards, each in its own savepoint through the one lifecycle verb (its
 * certificates revoked, the CRL published, its own audit event): a card that cannot be
 * cancelled now is refused with why, and the others go on.
 */
export async function applyCancellationRows(
  tx: TxContext,
  reason: CardReason,
  pending: PendingRow[],
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  for (const p of pending) {
    const serial = p.fields?.serial ?? '';
    if (p.plan === 'refuse') {
      outcomes.push({ line: p.line, outcome: 'refused', message: p.message, personId: null });
      continue;
    }
    try {
      const card = await findCard(tx, serial);
      if (card?.state === 'cancelled') {
        outcomes.push({
          line: p.line,
          outcome: 'unchanged',
          message: 'Cancelled already.',
          personId: card.personId,
        });
        continue;
      }
      const move = await withTransaction(tx, (inner) =>
        transitionCardTx(inner, { serial, verb: 'cancel', reason }),
      );
      outcomes.push({
        line: p.line,
        outcome: 'cancelled',
        message: `Cancelled (${reasonWords[reason]})${move.certificates.length ? `; ${move.certificates.length} certificate${move.certificates.length === 1 ? '' : 's'} revoked` : ''}.`,
        personId: card?.personId ?? null,
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      outcomes.push({ line: p.line, outcome: 'refused', message: error.message, personId: null });
    }
  }
  return outcomes;
}
