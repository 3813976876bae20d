/** Display helpers shared by pages. */
export { statusLabel } from '../../vocabulary/status-label.ts';
export { systemLabels } from '../../vocabulary/system-labels.ts';

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

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A day as "29 Nov 2026", everywhere. Written out rather than left to the browser's en-GB
 * rules, which say "Sept" in some versions and not in others. A calendar date (2026-11-29)
 * is that day; an instant is the day it was in the user's own time zone.
 */
export const date = (iso: string | null | undefined) => {
  if (!iso) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) {
    const [y, m, d] = iso.split('-').map(Number);
    return `${d} ${months[(m ?? 1) - 1]} ${y}`;
  }
  const at = new Date(iso);
  return `${at.getDate()} ${months[at.getMonth()]} ${at.getFullYear()}`;
};

/** A moment as "29 Nov 2026, 14:05". */
export const dateTime = (iso: string) => {
  const at = new Date(iso);
  const time = at.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return `${date(iso)}, ${time}`;
};

/**
 * A card serial as people see it in lists: its first 8 characters, which is also what the
 * people search finds a card by; the whole serial on hover and on the card's own page.
 */
export const shortSerial = (serial: string) =>
  serial.length > 12 ? `${serial.slice(0, 8)}…` : serial;

/** "1 person", "3 people": a count with the right word. */
export const count = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
