import { cardStates, type FlagKind, flagKinds } from '../../../db/schema/cards.ts';
import type { CardState } from '../cards/card-lifecycle.ts';
import { cardsInUse, type ExpiryBucket, expiryBuckets } from '../cards/expiry-buckets.ts';
import type { ServiceContext } from '../context.ts';
import { readTogether } from '../read-together.ts';
import { dashboardQueries } from './dashboard-queries.ts';

/** The list behind a count: GET /api/cards or GET /api/flags with these query parameters. */
export type ListBehind =
  | { operationId: 'listCards'; query: { state?: CardState[]; expiry?: ExpiryBucket } }
  | { operationId: 'listFlags'; query: { status: 'open'; kind: FlagKind } };

export interface Counted {
  count: number;
  list: ListBehind;
}

export interface Dashboard {
  asOf: string;
  cardsByState: (Counted & { state: CardState })[];
  expiry: {
    states: CardState[];
    buckets: (Counted & { bucket: ExpiryBucket })[];
  };
  blockedPins: { cards: Counted; flags: Counted };
  openFlags: (Counted & { kind: FlagKind })[];
}

const cardsList = (query: { state?: CardState[]; expiry?: ExpiryBucket }): ListBehind => ({
  operationId: 'listCards',
  query,
});
const flagsList = (kind: FlagKind): ListBehind => ({
  operationId: 'listFlags',
  query: { status: 'open', kind },
});

/**
 * The RA dashboard: the caller's cards by state; cards in use whose certificates are
 * expired or expire within 7, 30, 60 and 90 days (cumulative: see expiry-buckets.ts);
 * blocked PINs, two ways (cards the RA has recorded as blocked, and open pin_blocked flags:
 * what readers saw, including cards not on record or not yet recorded as blocked); and open
 * flags by kind. Every count comes with the list behind it, which returns exactly the rows
 * counted, under the same rule of what the caller may see.
 */
export async function getDashboard(ctx: ServiceContext): Promise<Dashboard> {
  // One statement (read-together.ts): seven small counts, one round trip.
  const {
    heldByState,
    heldDays: [days],
    heldToday: [today],
    keptByState,
    keptExpiry: [keptExpiry],
    heldFlags,
    unheldFlags,
  } = await readTogether(ctx, await dashboardQueries(ctx));
  const inState = new Map<string, number>();
  for (const r of [...heldByState, ...keptByState])
    inState.set(r.state, (inState.get(r.state) ?? 0) + r.n);
  const expiring = (bucket: ExpiryBucket) =>
    (days?.[bucket] ?? 0) +
    (bucket === 'expired' ? (today?.expired ?? 0) : (today?.ahead ?? 0)) +
    (keptExpiry?.[bucket] ?? 0);
  const flagCount = new Map<string, number>();
  for (const r of [...heldFlags, ...unheldFlags]) {
    flagCount.set(r.kind, (flagCount.get(r.kind) ?? 0) + r.n);
  }
  return {
    asOf: ctx.now().toISOString(),
    cardsByState: cardStates.map((state) => ({
      state,
      count: inState.get(state) ?? 0,
      list: cardsList({ state: [state] }),
    })),
    expiry: {
      states: [...cardsInUse],
      buckets: expiryBuckets.map((bucket) => ({
        bucket,
        count: expiring(bucket),
        list: cardsList({ expiry: bucket }),
      })),
    },
    blockedPins: {
      cards: { count: inState.get('blocked') ?? 0, list: cardsList({ state: ['blocked'] }) },
      flags: { count: flagCount.get('pin_blocked') ?? 0, list: flagsList('pin_blocked') },
    },
    openFlags: flagKinds.map((kind) => ({
      kind,
      count: flagCount.get(kind) ?? 0,
      list: flagsList(kind),
    })),
  };
}
