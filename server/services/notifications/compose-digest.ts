import ical, { ICalAlarmType } from 'ical-generator';
import { systemLabel } from '../../../vocabulary/system-labels.ts';
import { addDays, dateOf, displayDate } from '../dates.ts';
import type { DigestItem, DigestRecipient, NotificationKind } from './digest-items.ts';

/** A digest as it is stored and sent. */
export interface ComposedDigest {
  subject: string;
  text: string;
  html: string;
  ics: string | null;
}

export interface DigestLinks {
  /** The holder's own page for renewing and unlocking: `<origin>/my-card`. */
  myCard: string;
  /** A person's page for the RA and sponsors: `<origin>/people/<id>`. */
  person: (personId: string) => string;
}

function systemsList(systems: string[]): string {
  const names = [...new Set(systems)].map(systemLabel).sort();
  if (names.length === 0) return '';
  if (names.length === 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function when(item: DigestItem): string {
  const date = item.expiresAt ? displayDate(dateOf(item.expiresAt)) : '';
  const days = item.daysLeft ?? 0;
  if (days < 0) return `expired on ${date}`;
  if (days === 0) return `expire today, ${date}`;
  return `expire on ${date}, in ${days} day${days === 1 ? '' : 's'}`;
}

/** One sentence for one item, written to the holder ("your") or about them (their name). */
export function sentence(item: DigestItem, own: boolean): string {
  const whose = own ? 'Your' : `${item.personName}'s`;
  const lose = systemsList(item.systems);
  switch (item.itemKind) {
    case 'certificate_expiry': {
      const card = `${whose} smartcard (serial ${item.cardSerial}): its certificates ${when(item)}.`;
      if (!lose) return card;
      const expired = (item.daysLeft ?? 0) < 0;
      const subject = own ? 'You' : 'They';
      return `${card} ${subject} ${expired ? 'can no longer' : 'will no longer be able to'} log in to ${lose}${expired ? '' : ' with it after that'}.`;
    }
    case 'pin_blocked':
      return `${whose} smartcard (serial ${item.cardSerial}): its PIN is blocked.${lose ? ` ${own ? 'You' : 'They'} cannot log in to ${lose} with it until it is unlocked.` : ''}`;
    case 'position_ending': {
      const p = item.position;
      if (!p) return '';
      return `${whose} position "${p.name}" (${p.odsCode}) ends on ${displayDate(p.endDate)}.${lose ? ` ${own ? 'You' : 'They'} will lose ${lose} through it.` : ''}`;
    }
  }
}

function actionFor(kind: NotificationKind, items: DigestItem[], links: DigestLinks): string[] {
  if (kind !== 'holder') {
    return [
      ...new Map(
        items.map((i) => [
          i.personId,
          `${i.personName} (user ID ${i.userId}): ${links.person(i.personId)}`,
        ]),
      ).values(),
    ];
  }
  const lines: string[] = [];
  if (items.some((i) => i.itemKind === 'certificate_expiry' && (i.daysLeft ?? 0) >= 0)) {
    lines.push(`Renew your card yourself on the My card page: ${links.myCard}`);
  }
  if (items.some((i) => i.itemKind === 'certificate_expiry' && (i.daysLeft ?? 0) < 0)) {
    lines.push('An expired card is renewed by the RA team in person: contact them.');
  }
  if (items.some((i) => i.itemKind === 'pin_blocked')) {
    lines.push(`Unlock it with a one-time code on the My card page: ${links.myCard}`);
  }
  if (items.some((i) => i.itemKind === 'position_ending')) {
    lines.push('If you still need the access, ask your sponsor before that day.');
  }
  return lines;
}

function subjectFor(kind: NotificationKind, items: DigestItem[]): string {
  const expiries = items.filter((i) => i.itemKind === 'certificate_expiry');
  if (kind === 'ra')
    return `Smartcards expired: ${items.length} card${items.length === 1 ? '' : 's'}`;
  if (kind === 'sponsor') {
    const people = new Set(items.map((i) => i.personId)).size;
    return `Smartcards expiring for ${people} ${people === 1 ? 'person' : 'people'} you sponsor`;
  }
  const first = expiries
    .filter((i) => i.expiresAt)
    .sort((a, b) => (a.expiresAt?.getTime() ?? 0) - (b.expiresAt?.getTime() ?? 0))[0];
  if (first?.expiresAt) {
    const date = displayDate(dateOf(first.expiresAt));
    return (first.daysLeft ?? 0) < 0
      ? `Your smartcard expired on ${date}`
      : `Your smartcard expires on ${date}`;
  }
  if (items.some((i) => i.itemKind === 'pin_blocked')) return 'Your smartcard PIN is blocked';
  return 'Your position ends soon';
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A reminder in the holder's calendar: the expiry day, with an alarm a week before. */
function reminder(items: DigestItem[], links: DigestLinks): string | null {
  const coming = items.filter(
    (i) => i.itemKind === 'certificate_expiry' && i.expiresAt && (i.daysLeft ?? 0) >= 0,
  );
  if (coming.length === 0) return null;
  const calendar = ical({
    name: 'Smartcard RA',
    prodId: { company: 'Smartcard RA', product: 'expiry' },
  });
  for (const item of coming) {
    const day = dateOf(item.expiresAt as Date);
    calendar.createEvent({
      id: `${item.cardId}-${day}@smartcard-ra`,
      start: new Date(`${day}T00:00:00Z`),
      end: new Date(`${addDays(day, 1)}T00:00:00Z`),
      allDay: true,
      summary: `Smartcard ${item.cardSerial} expires`,
      description: `Renew it before this day: ${links.myCard}`,
      url: links.myCard,
      alarms: [{ type: ICalAlarmType.display, trigger: 7 * 86_400 }],
    });
  }
  return calendar.toString();
}

/**
 * The day's digest for one recipient: every item in one message, plain text and HTML with
 * the same words, and for a holder whose card is still to expire an iCalendar reminder.
 */
export function composeDigest(
  recipient: DigestRecipient,
  kind: NotificationKind,
  items: DigestItem[],
  links: DigestLinks,
): ComposedDigest {
  const own = kind === 'holder';
  const intro =
    kind === 'holder'
      ? `Dear ${recipient.name},`
      : kind === 'sponsor'
        ? `Dear ${recipient.name}, as the sponsor of the people below you are copied on their notices.`
        : `Dear ${recipient.name}, these cards in your organisations expired.`;
  const lines = items.map((i) => sentence(i, own));
  const actions = actionFor(kind, items, links);
  const text = [intro, '', ...lines.map((l) => `- ${l}`), '', ...actions, '', 'Smartcard RA'].join(
    '\n',
  );
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
    ...actions.map(
      (a) => `<p>${escapeHtml(a).replace(/(https?:\/\/\S+)/g, '<a href="$1">$1</a>')}</p>`,
    ),
    '<p>Smartcard RA</p>',
  ].join('\n');
  return {
    subject: subjectFor(kind, items),
    text,
    html,
    ics: own ? reminder(items, links) : null,
  };
}
