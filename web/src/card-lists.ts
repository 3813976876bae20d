import type { Schemas } from './api/client.ts';

type CardRow = Schemas['CardRow'];
type CardState = CardRow['state'];
type FlagKind = CardRow['openFlags'][number];
type DashboardList = Schemas['DashboardList'];
type CardsListQuery = Extract<DashboardList, { operationId: 'listCards' }>['query'];
export type ExpiryBucket = NonNullable<CardsListQuery['expiry']>;

/** The filters of the cards page, as its address carries them (`/cards?state=active`). */
export interface CardFilters {
  state: CardState[];
  expiry: ExpiryBucket | '';
  flag: FlagKind | '';
  location: string;
  holder: string;
}

export const cardStateOrder: readonly CardState[] = [
  'in_stock',
  'issued_locked',
  'active',
  'blocked',
  'suspended',
  'cancelled',
  'returned',
  'destroyed',
];

export const expiryBuckets: readonly ExpiryBucket[] = ['expired', '7', '30', '60', '90'];

/** A bucket in words: "Expired", "Within 30 days". */
export const expiryWords: Record<ExpiryBucket, string> = {
  expired: 'Expired',
  '7': 'Within 7 days',
  '30': 'Within 30 days',
  '60': 'Within 60 days',
  '90': 'Within 90 days',
};

/** The filters an address names; anything it names wrongly is left for the server to refuse. */
export function filtersOf(search: string): CardFilters {
  const q = new URLSearchParams(search);
  return {
    state: q.getAll('state') as CardState[],
    expiry: (q.get('expiry') ?? '') as ExpiryBucket | '',
    flag: (q.get('flag') ?? '') as FlagKind | '',
    location: q.get('location') ?? '',
    holder: q.get('holder') ?? '',
  };
}

/** The address of the cards page with these filters. */
export function cardsHref(filters: Partial<CardFilters>): string {
  const q = new URLSearchParams();
  for (const state of filters.state ?? []) q.append('state', state);
  for (const key of ['expiry', 'flag', 'location', 'holder'] as const) {
    const value = filters[key];
    if (value) q.set(key, value);
  }
  const search = q.toString();
  return search ? `/cards?${search}` : '/cards';
}

/** The page that shows the list behind a dashboard count. */
export function listHref(list: DashboardList): string {
  if (list.operationId === 'listFlags') {
    return `/card-flags?kind=${encodeURIComponent(list.query.kind)}`;
  }
  return cardsHref({ state: list.query.state ?? [], expiry: list.query.expiry ?? '' });
}

/** A card's state as a coloured tag: red where the card cannot be used, amber where it waits. */
export const cardStateTags: Record<CardState, string> = {
  in_stock: '',
  issued_locked: 'amber',
  active: 'green',
  blocked: 'red',
  suspended: 'amber',
  cancelled: 'red',
  returned: '',
  destroyed: '',
};
