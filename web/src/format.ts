/** Display helpers shared by pages. */
export const systemLabels: Record<string, string> = {
  systmone: 'SystmOne',
  ers: 'e-RS',
  pacs: 'PACS',
  sus: 'SUS',
  esr: 'ESR',
};

export const statusTag: Record<string, string> = {
  active: 'green',
  approved: 'green',
  open: 'amber',
  future: 'amber',
  pending_id_check: 'amber',
  suspended: 'red',
  rejected: 'red',
  closed: 'red',
  removed: '',
  expired: '',
  position_closed: '',
  person_closed: '',
};

export const words = (s: string) => s.replaceAll('_', ' ');

export const date = (iso: string | null) =>
  iso
    ? new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso).toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
      })
    : '';

export const dateTime = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** "1 person", "3 people": a count with the right word. */
export const count = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
