/**
 * The audit trail in sentences: one template per recorded action, with the names the server
 * resolved (only those the reader may read) linked to their pages. The audit page and the
 * history on a person's or a card's page both write events through here.
 */
import { css, html, type TemplateResult } from 'lit';
import type { Schemas } from './api/client.ts';
import {
  cardReasonWords as cardReasonLabels,
  flagLabels,
  revocationWords as revocationLabels,
} from './card-words.ts';
import { count, date, dateTime, shortSerial, statusLabel } from './format.ts';

export type AuditEvent = Schemas['AuditEvent'];
export type AuditCategory = AuditEvent['category'];

/** The categories a reader filters by, in the order the filter lists them. */
export const categoryLabels: Record<AuditCategory, string> = {
  people: 'People and identity checks',
  access: 'Access and requests',
  cards: 'Cards',
  'sign-in': 'Sign-in and accounts',
  workstations: 'Workstations',
  audit: 'Audit',
};

/** One line of the trail: an event, or several failed sign-ins in a row folded into one. */
export interface TrailEntry {
  event: AuditEvent;
  /** How many events the line stands for (1, or a run of failed sign-ins). */
  times: number;
  /** The oldest of the run, when `times` > 1. */
  since: string | null;
  ids: number[];
}

/**
 * Folds runs of failed sign-ins for one username from one address into one line ("3 failed
 * sign-ins for ‘sponsor’ from 127.0.0.1"): a guesser's twenty tries are one fact.
 */
export function foldTrail(events: readonly AuditEvent[]): TrailEntry[] {
  const entries: TrailEntry[] = [];
  for (const event of events) {
    const last = entries.at(-1);
    if (
      last &&
      event.action === 'auth.login_failed' &&
      last.event.action === 'auth.login_failed' &&
      last.event.actor.username === event.actor.username &&
      last.event.address === event.address
    ) {
      last.times += 1;
      last.since = event.occurredAt;
      last.ids.push(event.id);
      continue;
    }
    entries.push({ event, times: 1, since: null, ids: [event.id] });
  }
  return entries;
}

type Part = TemplateResult | string;

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const quoted = (s: string) => `‘${s}’`;

function personPart(ref: AuditEvent['about']['person'], withId = false): Part {
  if (!ref) return 'someone';
  if (!ref.name) return 'a person outside your organisations';
  return html`<a href="/people/${ref.id}">${ref.name}</a>${withId && ref.userId ? ` (${ref.userId})` : ''}`;
}

/** "Sky Staff’s", or "the" for someone the reader may not name. */
function possessive(ref: AuditEvent['about']['person']): Part {
  if (!ref?.name) return 'a';
  return html`<a href="/people/${ref.id}">${ref.name}</a>’s`;
}

/** Whether the one who acted is the person the event is about ("withdrew their request"). */
const isSelf = (e: AuditEvent) => !!e.actor.personId && e.actor.personId === e.about.person?.id;

/** "Sky Staff’s", or "their" when Sky Staff acted on their own record. */
function whosePart(e: AuditEvent): Part {
  return isSelf(e) ? 'their' : possessive(e.about.person);
}

/** The person acted on, or "themselves" when they acted on their own record. */
function whomPart(e: AuditEvent, withId = false): Part {
  return isSelf(e) ? 'themselves' : personPart(e.about.person, withId);
}

/** Who acted: their name (linked to the person when readable), a desk's reader, or the username. */
function whoPart(e: AuditEvent): Part {
  const { actor } = e;
  if (actor.name && actor.personId)
    return html`<a href="/people/${actor.personId}">${actor.name}</a>`;
  if (actor.name) return actor.name;
  if (actor.workstationId) {
    return actor.workstationName
      ? `The reader at ${actor.workstationName}`
      : 'A workstation’s reader';
  }
  if (actor.username === 'system') return 'The system';
  if (actor.username) return quoted(actor.username);
  return 'Someone not signed in';
}

function positionPart(e: AuditEvent): Part {
  const name = e.about.position?.name ?? text(e.summary.position) ?? text(e.summary.name);
  return name ? html`<strong>${name}</strong>` : 'a position';
}

function cardPart(e: AuditEvent): Part {
  const card = e.about.card;
  if (!card) return 'a card';
  const shown = shortSerial(card.serial);
  return card.readable
    ? html`<a href="/cards/${encodeURIComponent(card.serial)}">card ${shown}</a>`
    : `card ${shown}`;
}

function workstationPart(e: AuditEvent): Part {
  const ws = e.about.workstation;
  if (ws?.name) return html`<a href="/workstations">${ws.name}</a>`;
  return text(e.summary.name) ?? 'a workstation';
}

function organisationPart(e: AuditEvent): Part {
  const org = e.about.organisation;
  if (!org) return 'an organisation';
  return org.name ? `${org.name} (${org.odsCode})` : org.odsCode;
}

/** Field names as a person says them: `givenName` → "given name". */
export function fieldWords(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.replace(/\bods\b/, 'ODS').replace(/\bid\b/, 'ID');
}

const listWords = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

const changedFields = (v: unknown) =>
  v && typeof v === 'object' ? listWords(Object.keys(v).map(fieldWords)) : '';

const refusals: Record<string, string> = {
  // A 403 is a role's permission missing or an organisation outside its reach: say both.
  FORBIDDEN: 'not within what their roles allow them to do or see',
  CSRF: 'the page’s security token was missing',
  SEPARATION_OF_DUTIES: 'someone else must do it',
};

const failedReasons: Record<string, string> = {
  unknown_username: 'no such account',
  wrong_password: 'wrong password',
  disabled: 'account disabled',
};

const flagWords = (kind: unknown) =>
  typeof kind === 'string' && kind in flagLabels
    ? flagLabels[kind as keyof typeof flagLabels]
    : 'a problem';

type Template = (e: AuditEvent, entry: TrailEntry) => TemplateResult;

/** "Sky Staff’s card 1a2b…", or just "card 1a2b…" when nobody this RA knows holds it. */
function heldCardPart(e: AuditEvent): Part {
  return e.about.person ? html`${whosePart(e)} ${cardPart(e)}` : cardPart(e);
}

/** Why a card moved, in words: "lost", "the holder left". */
function cardReasonPart(e: AuditEvent): string {
  const reason = text(e.summary.reason);
  if (!reason) return '';
  return reason in cardReasonLabels
    ? cardReasonLabels[reason as keyof typeof cardReasonLabels]
    : reason.replaceAll('_', ' ');
}

/** "; 2 certificates revoked", from the serials a card's move recorded under `key`. */
function certificatesPart(e: AuditEvent, key: string, done: string): string {
  const changed = e.summary[key];
  return Array.isArray(changed) && changed.length
    ? `; ${count(changed.length, 'certificate')} ${done}`
    : '';
}

/** The RFC 5280 reason a certificate was revoked with, in words. */
function revocationPart(reason: unknown): string {
  return typeof reason === 'string' && reason in revocationLabels
    ? revocationLabels[reason as keyof typeof revocationLabels]
    : '';
}

/** "the ESR file “staff.csv”", "the card list “pasted list”". */
const importPart = (e: AuditEvent) =>
  `the ${e.summary.kind === 'card_cancellation' ? 'card list' : 'ESR file'}${
    text(e.summary.fileName) ? ` “${e.summary.fileName}”` : ''
  }`;

/** "created 2, refused 1", from an import's counts. */
const importCounts = (counts: unknown) =>
  counts && typeof counts === 'object'
    ? Object.entries(counts as Record<string, number>)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')
    : '';

/** What each recorded action says. An action not listed here is told by its code in words. */
const templates: Record<string, Template> = {
  'import.checked': (e) =>
    html`${whoPart(e)} checked ${importPart(e)} (a dry run${
      typeof e.summary.rows === 'number' ? ` of ${count(e.summary.rows, 'line')}` : ''
    }: ${importCounts(e.summary.planned)})`,
  'import.apply_started': (e) => html`${whoPart(e)} started applying ${importPart(e)}`,
  'import.batch_applied': (e) =>
    html`Lines ${String(e.summary.fromLine)} to ${String(e.summary.toLine)} of an import applied: ${importCounts(e.summary.outcomes)}`,
  'import.applied': (e) =>
    html`${importPart(e)} applied in full: ${importCounts(e.summary.outcomes)}`,
  'person.registered': (e) => html`${whoPart(e)} registered ${whomPart(e, true)}`,
  'person.identity_checked': (e) => {
    const seen = Array.isArray(e.summary.documents) ? e.summary.documents.length : 0;
    return html`${whoPart(e)} checked ${whosePart(e)} identity${
      seen ? `: ${count(seen, 'document')} seen` : ''
    }`;
  },
  'person.updated': (e) => {
    const changed = (e.summary.changed ?? {}) as Record<string, { to?: unknown }>;
    const status = changed.status?.to;
    if (status === 'suspended') return html`${whoPart(e)} suspended ${whomPart(e)}`;
    if (status === 'closed') return html`${whoPart(e)} closed ${whosePart(e)} record`;
    if (status === 'active') return html`${whoPart(e)} reactivated ${whomPart(e)}`;
    const fields = changedFields(changed);
    return html`${whoPart(e)} changed ${whosePart(e)} ${fields || 'details'}`;
  },
  'person.suspended': (e) =>
    html`${whoPart(e)} suspended ${whomPart(e)}${
      text(e.summary.reason) ? html`: “${e.summary.reason}”` : ''
    }`,
  'person.reactivated': (e) =>
    html`${whoPart(e)} reactivated ${whomPart(e)}${
      text(e.summary.reason) ? html`: “${e.summary.reason}”` : ''
    }`,
  'person.closed': (e) => {
    const ended = Array.isArray(e.summary.assignmentsEnded) ? e.summary.assignmentsEnded.length : 0;
    return html`${whoPart(e)} closed ${whosePart(e)} record${
      text(e.summary.reason) ? html`: “${e.summary.reason}”` : ''
    }${ended ? `; ${count(ended, 'position')} ended` : ''}${
      e.summary.loginDisabled ? '; their sign-in was turned off' : ''
    }`;
  },
  'assignment.created': (e) =>
    html`${whoPart(e)} gave ${whomPart(e)} the position ${positionPart(e)}${
      text(e.summary.requestId) ? ', as their request asked' : ''
    }`,
  'assignment.removed': (e) =>
    html`${whoPart(e)} removed the position ${positionPart(e)} from ${whomPart(e)}`,
  'assignment.ended': (e) =>
    html`${possessive(e.about.person)} position ${positionPart(e)} ended: the position was closed`,
  'request.raised': (e) => {
    const own = isSelf(e);
    if (e.about.request?.kind === 'remove' || e.summary.kind === 'remove') {
      return html`${whoPart(e)} asked for ${positionPart(e)} to be removed from ${whomPart(e)}`;
    }
    return own
      ? html`${whoPart(e)} asked for the position ${positionPart(e)}`
      : html`${whoPart(e)} asked for ${positionPart(e)} for ${whomPart(e)}`;
  },
  'request.claimed': (e) =>
    html`${whoPart(e)} opened ${whosePart(e)} request for ${positionPart(e)} to decide it`,
  'request.approved': (e) =>
    html`${whoPart(e)} approved ${whosePart(e)} request for ${positionPart(e)}`,
  'request.rejected': (e) =>
    html`${whoPart(e)} turned down ${whosePart(e)} request for ${positionPart(e)}${
      text(e.summary.reason) ? html`: “${e.summary.reason}”` : ''
    }`,
  'request.withdrawn': (e) =>
    html`${whoPart(e)} withdrew ${whosePart(e)} request for ${positionPart(e)}`,
  'position.created': (e) =>
    html`${whoPart(e)} created the position ${positionPart(e)}${
      text(e.summary.odsCode) ? ` at ${e.summary.odsCode}` : ''
    }`,
  'position.updated': (e) =>
    html`${whoPart(e)} changed the position ${positionPart(e)}${
      changedFields(e.summary.changes) ? `: ${changedFields(e.summary.changes)}` : ''
    }`,
  'position.closed': (e) => {
    const ended = typeof e.summary.assignmentsEnded === 'number' ? e.summary.assignmentsEnded : 0;
    return html`${whoPart(e)} closed the position ${positionPart(e)}${
      ended ? `, ending ${count(ended, 'assignment')}` : ''
    }`;
  },
  'organisation.created': (e) => html`${whoPart(e)} added the organisation ${organisationPart(e)}`,
  'organisation.updated': (e) =>
    html`${whoPart(e)} changed the organisation ${organisationPart(e)}${
      changedFields(e.summary.changes) ? `: ${changedFields(e.summary.changes)}` : ''
    }`,
  'workgroup.created': (e) =>
    html`${whoPart(e)} added the workgroup ${text(e.summary.name) ?? ''} to ${organisationPart(e)}`,
  'account.created': (e) =>
    html`${whoPart(e)} made the sign-in account ${
      e.about.account?.username
        ? quoted(e.about.account.username)
        : 'of someone outside your organisations'
    }`,
  'account.activated': (e) => html`${whoPart(e)} chose a password and activated their account`,
  'auth.login': (e) => html`${whoPart(e)} signed in`,
  'auth.logout': (e) => html`${whoPart(e)} signed out`,
  'auth.login_failed': (e, entry) => {
    const who =
      e.actor.name && e.actor.personId
        ? html`<a href="/people/${e.actor.personId}">${e.actor.name}</a> (${quoted(e.actor.username ?? '')})`
        : quoted(e.actor.username ?? '');
    const reason = failedReasons[String(e.summary.reason)];
    return html`${entry.times === 1 ? 'A failed sign-in' : `${entry.times} failed sign-ins`} for
      ${who}${e.address ? ` from ${e.address}` : ''}${reason ? ` (${reason})` : ''}`;
  },
  'auth.sign_in_throttle_cleared': (e) => {
    const username = text(e.summary.username);
    const address = text(e.summary.address);
    return html`${whoPart(e)} cleared the sign-in lock${username ? ` for ${quoted(username)}` : ''}${
      address ? ` from ${address}` : ''
    }`;
  },
  'security.refused': (e) => {
    const why = refusals[String(e.summary.refusal)] ?? 'refused';
    return html`${whoPart(e)} was stopped: ${text(e.summary.method) ?? ''}
      ${text(e.summary.path) ?? ''} (${why})`;
  },
  'workstation.registered': (e) =>
    html`${whoPart(e)} registered the workstation ${workstationPart(e)}${
      text(e.summary.odsCode) ? ` at ${e.summary.odsCode}` : ''
    }`,
  'workstation.enrolment_code_issued': (e) =>
    html`${whoPart(e)} issued an enrolment code for ${workstationPart(e)}`,
  'workstation.enrolled': (e) =>
    html`The reader agent of ${workstationPart(e)} enrolled${
      text(e.summary.hostname) ? ` from the computer ${e.summary.hostname}` : ''
    }`,
  'workstation.enrolment_refused': (e) =>
    html`A reader agent was refused enrolment${
      e.about.workstation ? html` as ${workstationPart(e)}` : ''
    }${text(e.summary.cause) ? `: ${String(e.summary.cause).replaceAll('_', ' ')}` : ''}`,
  'workstation.revoked': (e) => html`${whoPart(e)} revoked the workstation ${workstationPart(e)}`,
  'card.flag_raised': (e) =>
    e.about.person
      ? html`${whoPart(e)} found ${whosePart(e)} ${cardPart(e)}: ${flagWords(e.summary.kind)}`
      : html`${whoPart(e)} found ${cardPart(e)}, held by nobody this RA knows: ${flagWords(e.summary.kind)}`,
  'card.flag_resolved': (e) =>
    html`${whoPart(e)} saw ${e.about.person ? whosePart(e) : ''} ${cardPart(e)} again:
      no longer ${flagWords(e.summary.kind).toLowerCase()}`,
  'card.issue': (e) => html`${whoPart(e)} issued ${cardPart(e)} to ${whomPart(e)}`,
  'card.activate': (e) =>
    html`${whoPart(e)} finished issuing ${heldCardPart(e)}: its passcode is set`,
  'card.block': (e) =>
    html`${whoPart(e)} recorded ${heldCardPart(e)} as blocked: its passcode tries ran out`,
  'card.unlock': (e) => html`${whoPart(e)} unlocked ${heldCardPart(e)}`,
  'card.renew': (e) =>
    html`${whoPart(e)} renewed ${heldCardPart(e)}: new keys and certificates on the same card`,
  'card.job_requested': (e) =>
    html`${whoPart(e)} asked ${text(e.summary.workstationName) ?? 'a workstation'} to ${jobWords(
      e.summary.kind,
    )} ${cardPart(e)}${e.summary.selfService ? ' (their own, self-service)' : ''}${
      e.summary.issuedLocked ? ', locked until the holder sets a passcode' : ''
    }`,
  'card.job_started': (e) =>
    html`${whoPart(e)} started the job to ${jobWords(e.summary.kind)} ${cardPart(e)}`,
  'card.job_completed': (e) =>
    html`${whoPart(e)} finished the job to ${jobWords(e.summary.kind)} ${cardPart(e)}${certificatesPart(
      e,
      'certificatesRevoked',
      'revoked as superseded',
    )}`,
  'card.job_failed': (e) =>
    html`The job to ${jobWords(e.summary.kind)} ${cardPart(e)} failed${
      text(e.summary.failure) ? `: ${e.summary.failure}` : ''
    }${certificatesPart(e, 'certificatesRevoked', 'revoked as never put to use')}`,
  'card.unlock_code_sent': (e) =>
    html`${whoPart(e)} asked for a code to unlock ${whosePart(e)} card${
      text(e.summary.sentTo) ? `, sent to ${e.summary.sentTo}` : ''
    }`,
  'card.suspend': (e) =>
    html`${whoPart(e)} suspended ${heldCardPart(e)}${
      cardReasonPart(e) ? `, ${cardReasonPart(e)}` : ''
    }${certificatesPart(e, 'certificatesHeld', 'put on hold')}`,
  'card.reinstate': (e) =>
    html`${whoPart(e)} reinstated ${heldCardPart(e)}${certificatesPart(
      e,
      'certificatesReleased',
      'released from hold',
    )}`,
  'card.cancel': (e) =>
    html`${whoPart(e)} cancelled ${heldCardPart(e)}${
      cardReasonPart(e) ? `: ${cardReasonPart(e)}` : ''
    }${e.summary.cause === 'person_closed' ? ', as their record was closed' : ''}${certificatesPart(
      e,
      'certificatesRevoked',
      'revoked',
    )}`,
  'card.return': (e) => html`${whoPart(e)} recorded ${heldCardPart(e)} as handed back`,
  'card.clear': (e) => html`${whoPart(e)} cleared ${heldCardPart(e)} back to stock`,
  'card.destroy': (e) => html`${whoPart(e)} recorded ${heldCardPart(e)} as destroyed`,
  'card.location_created': (e) =>
    html`${whoPart(e)} added the card location ${quoted(text(e.summary.location) ?? '')} at ${organisationPart(e)}`,
  'card.stock_imported': (e) => {
    const n = typeof e.summary.count === 'number' ? e.summary.count : 0;
    const left = typeof e.summary.linesNotImported === 'number' ? e.summary.linesNotImported : 0;
    return html`${whoPart(e)} imported ${count(n, 'blank card')} into ${quoted(
      text(e.summary.location) ?? 'a location',
    )} at ${organisationPart(e)}${left ? `; ${count(left, 'bad line')} left out` : ''}`;
  },
  'card.moved': (e) =>
    html`${whoPart(e)} moved ${cardPart(e)}${
      text(e.summary.fromLocation) ? ` from ${e.summary.fromLocation}` : ''
    } to ${text(e.summary.toLocation) ?? 'another location'}`,
  'card.certificate_issued': (e) =>
    html`${whoPart(e)} issued ${profileWords(e.summary.profile)} certificate for ${whosePart(e)} ${cardPart(e)}`,
  'card.certificate_revoked': (e) =>
    e.summary.reason === 'certificateHold'
      ? html`${whoPart(e)} put a certificate of ${whosePart(e)} ${cardPart(e)} on hold`
      : html`${whoPart(e)} revoked a certificate of ${whosePart(e)} ${cardPart(e)}${revocationWords(e.summary.reason)}`,
  'card.certificate_released': (e) =>
    html`${whoPart(e)} released the hold on a certificate of ${whosePart(e)} ${cardPart(e)}`,
  'pki.ca_created': (e) => {
    const of = text(e.summary.organisation) ? ` of ${e.summary.organisation}` : '';
    return e.actor.username || e.actor.name
      ? html`${whoPart(e)} created the certificate authority${of}`
      : html`The certificate authority${of} was created`;
  },
  'demo.seeded': () => html`The demo trust was set up`,
};

/** A card job's kind as a verb. */
const jobWords = (kind: unknown) =>
  kind === 'issue'
    ? 'issue'
    : kind === 'renew'
      ? 'renew'
      : kind === 'unlock'
        ? 'unlock'
        : 'work on';

/** "an authentication" or "a signature" (certificate). */
const profileWords = (profile: unknown) =>
  profile === 'authentication'
    ? 'an authentication'
    : profile === 'signature'
      ? 'a signature'
      : 'a';

const revocationReasonWords: Record<string, string> = {
  keyCompromise: 'key compromise',
  affiliationChanged: 'affiliation changed',
  superseded: 'superseded',
  cessationOfOperation: 'cessation of operation',
};
const revocationWords = (reason: unknown) => {
  const said = typeof reason === 'string' ? revocationReasonWords[reason] : undefined;
  return said ? `: ${said}` : '';
};

/** The sentence for one line of the trail. */
export function sentence(entry: TrailEntry): TemplateResult {
  const e = entry.event;
  const template = templates[e.action];
  if (template) return template(e, entry);
  return html`${whoPart(e)}: ${e.action.replaceAll(/[._]/g, ' ')}`;
}

/** Keys that say nothing to a reader: session ids, and ids the sentence already links. */
const noise = new Set([
  'sessionId',
  'replacedSessionId',
  'personId',
  'positionId',
  'assignmentId',
  'unlockCodeId',
]);

/** A user ID as people read it: 1234 5678 9012. */
const grouped = (id: string) => id.replace(/(\d{4})(?=\d)/g, '$1 ');

/**
 * One recorded value in words: a day as "29 Nov 2026", a moment with its time, a user ID
 * in groups of four, a code ("utility_bill", "pin_blocked") in words; `key` is the field
 * it was recorded under.
 */
function valueWords(v: unknown, key = ''): string {
  if (Array.isArray(v)) return v.map((x) => valueWords(x, key)).join(', ');
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('from' in o && 'to' in o)
      return `${valueWords(o.from, key) || 'nothing'} → ${valueWords(o.to, key) || 'nothing'}`;
    return Object.entries(o)
      .filter(([, x]) => x !== null && x !== undefined && x !== '')
      .map(([k, x]) => `${fieldWords(k)}: ${valueWords(x, k)}`)
      .join('; ');
  }
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  if (key === 'kind' && v in flagLabels) return flagLabels[v as keyof typeof flagLabels];
  if (/^(reason|revocationReason)$/.test(key) && v in revocationLabels) return revocationPart(v);
  if (key === 'reason' && v in cardReasonLabels)
    return cardReasonLabels[v as keyof typeof cardReasonLabels];
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return date(v);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return dateTime(v);
  if (/userid$/i.test(key) && /^\d{12}$/.test(v)) return grouped(v);
  // A status, as a tag shows it: "From: Active", "Status: Pending ID check".
  if (/^(status|from|to|state)$/i.test(key)) return statusLabel(v);
  // A code of lower-case words joined by underscores, as the server records its choices.
  if (/^[a-z]+(_[a-z]+)+$/.test(v)) return v.replaceAll('_', ' ');
  return v;
}

/** The event's recorded facts for the "Details" disclosure, without empty values or noise. */
export function details(entry: TrailEntry): [string, string][] {
  const e = entry.event;
  // The action is what the sentence says: it is not repeated here.
  const rows: [string, string][] = [
    ['Event', entry.ids.length > 1 ? entry.ids.join(', ') : String(e.id)],
  ];
  if (e.actor.username) rows.push(['Username', e.actor.username]);
  if (e.address) rows.push(['From address', e.address]);
  if (e.about.card) rows.push(['Card serial', e.about.card.serial]);
  for (const [key, value] of Object.entries(e.summary)) {
    if (noise.has(key)) continue;
    const words = valueWords(value, key);
    if (words) rows.push([fieldWords(key).replace(/^./, (c) => c.toUpperCase()), words]);
  }
  if (e.detailsWithheld)
    rows.push(['Details', 'Held back: about someone outside your organisations']);
  return rows;
}

/** The line's details as a disclosure: shown only when asked. */
export function detailsDisclosure(entry: TrailEntry) {
  const rows = details(entry);
  return html`<details>
    <summary>Details</summary>
    <dl>${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
  </details>`;
}

/** How sentences and their details look, wherever the trail is shown. */
export const trailStyles = css`
  .sentence {
    overflow-wrap: anywhere;
  }
  details {
    margin-top: 0.25rem;
    font-size: 0.9rem;
  }
  details summary {
    cursor: pointer;
    color: var(--ra-blue);
  }
  details dl {
    display: grid;
    grid-template-columns: minmax(5rem, max-content) minmax(0, 1fr);
    gap: 0.15rem 0.75rem;
    margin: 0.4rem 0 0;
  }
  details dt {
    color: var(--ra-muted);
    max-width: 12rem;
  }
  details dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  time {
    white-space: nowrap;
  }
`;
