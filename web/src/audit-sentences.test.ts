import { describe, expect, it } from 'vitest';
import { type AuditEvent, details, sentence, type TrailEntry } from './audit-sentences.ts';

const sky = { id: 'p-sky', name: 'Sky Staff', userId: '600566349261' };

function event(action: string, summary: Record<string, unknown>, self = true): TrailEntry {
  const e: AuditEvent = {
    id: 7,
    action,
    category: 'access',
    about: {
      account: null,
      card: null,
      organisation: null,
      person: sky,
      position: { id: 'pos', name: 'Ward clerk', odsCode: 'RWG01' },
      request: null,
      workstation: null,
    },
    actor: {
      accountId: 'a',
      name: self ? 'Sky Staff' : 'Morgan Manager',
      personId: self ? 'p-sky' : 'p-morgan',
      username: self ? 'staff' : 'manager',
      workstationId: null,
      workstationName: null,
    },
    address: null,
    detailsWithheld: false,
    hash: '',
    hashVersion: 1,
    occurredAt: '2026-11-29T10:00:00Z',
    requestId: null,
    subjectId: null,
    subjectType: 'request',
    summary,
  };
  return { event: e, times: 1, since: null, ids: [e.id] };
}

/** A sentence's words, as a reader sees them. */
function words(entry: TrailEntry): string {
  const flat = (part: unknown): string => {
    if (Array.isArray(part)) return part.map(flat).join('');
    if (part && typeof part === 'object' && 'strings' in part && 'values' in part) {
      const t = part as { strings: readonly string[]; values: unknown[] };
      return t.strings.map((s, i) => s + (i < t.values.length ? flat(t.values[i]) : '')).join('');
    }
    return part === null || part === undefined ? '' : String(part);
  };
  return flat(sentence(entry))
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('audit sentences', () => {
  it('says a refusal was outside what the roles allow, which covers another organisation too', () => {
    const refused = event(
      'security.refused',
      { method: 'GET', path: '/api/reports/cards-by-state', refusal: 'FORBIDDEN' },
      false,
    );
    expect(words(refused)).toBe(
      'Morgan Manager was stopped: GET /api/reports/cards-by-state (not within what their roles allow them to do or see)',
    );
  });

  it('says "their" when the person acted on their own record', () => {
    expect(words(event('request.withdrawn', {}))).toBe(
      'Sky Staff withdrew their request for Ward clerk',
    );
    expect(words(event('request.withdrawn', {}, false))).toBe(
      'Morgan Manager withdrew Sky Staff’s request for Ward clerk',
    );
    expect(words(event('request.raised', { kind: 'remove' }))).toBe(
      'Sky Staff asked for Ward clerk to be removed from themselves',
    );
  });

  it('tells an unlock code sent with the masked address, never an id', () => {
    const sent = event('card.unlock_code_sent', {
      sentTo: 's***@demo.nhs.example',
      expiresAt: '2026-11-29T10:15:00Z',
      unlockCodeId: '00000000-0000-4000-8000-000000000001',
    });
    expect(words(sent)).toBe(
      'Sky Staff asked for a code to unlock their card, sent to s***@demo.nhs.example',
    );
    expect(JSON.stringify(details(sent))).not.toContain('00000000-0000-4000-8000-000000000001');
  });

  it('writes details in words: days, user IDs in fours, codes, and no action code', () => {
    const rows = details(
      event('assignment.created', {
        startDate: '2026-11-30',
        userId: '600566349261',
        documents: [{ type: 'utility_bill' }],
        kind: 'pin_blocked',
      }),
    );
    const shown = Object.fromEntries(rows);
    expect(shown['Start date']).toBe('30 Nov 2026');
    expect(shown['User ID']).toBe('6005 6634 9261');
    expect(shown.Documents).toBe('type: utility bill');
    expect(shown.Kind).toBe('PIN blocked');
    expect(rows.map(([k]) => k)).not.toContain('Action');
  });

  it('tells a card’s moves and its certificates’ in words, with the reason and what happened to the certificates', () => {
    const onCard = (action: string, summary: Record<string, unknown>, self = false) => {
      const entry = event(action, summary, self);
      entry.event.about.card = { serial: '0123456789abcdef0123456789abcdef', readable: true };
      entry.event.about.position = null;
      return entry;
    };
    const revoked = ['0a', '0b'];
    expect(
      words(
        onCard('card.cancel', {
          reason: 'lost',
          certificatesRevoked: revoked,
          revocationReason: 'keyCompromise',
        }),
      ),
    ).toBe('Morgan Manager cancelled Sky Staff’s card 01234567…: lost; 2 certificates revoked');
    expect(
      words(
        onCard('card.cancel', { reason: 'left', cause: 'person_closed', certificatesRevoked: [] }),
      ),
    ).toBe(
      'Morgan Manager cancelled Sky Staff’s card 01234567…: the holder left, as their record was closed',
    );
    expect(
      words(onCard('card.suspend', { reason: 'reported_missing', certificatesHeld: revoked })),
    ).toBe(
      'Morgan Manager suspended Sky Staff’s card 01234567…, reported missing; 2 certificates put on hold',
    );
    expect(words(onCard('card.reinstate', { certificatesReleased: ['0a'] }))).toBe(
      'Morgan Manager reinstated Sky Staff’s card 01234567…; 1 certificate released from hold',
    );
    expect(words(onCard('card.return', {}))).toBe(
      'Morgan Manager recorded Sky Staff’s card 01234567… as handed back',
    );
    expect(words(onCard('card.clear', {}))).toBe(
      'Morgan Manager cleared Sky Staff’s card 01234567… back to stock',
    );
    expect(words(onCard('card.destroy', {}))).toBe(
      'Morgan Manager recorded Sky Staff’s card 01234567… as destroyed',
    );
    const shown = Object.fromEntries(
      details(onCard('card.cancel', { reason: 'left', revocationReason: 'affiliationChanged' })),
    );
    expect(shown.Reason).toBe('the holder left');
    expect(shown['Revocation reason']).toBe('holder left');
  });

  it('tells card stock work: a location added, an import counted, a card moved', () => {
    const stock = (
      action: string,
      summary: Record<string, unknown>,
      card: string | null = null,
    ) => {
      const entry = event(action, summary, false);
      entry.event.about = {
        ...entry.event.about,
        person: null,
        position: null,
        organisation: { odsCode: 'RWG01', name: 'Riverside General' },
        card: card ? { serial: card, readable: false } : null,
      };
      return entry;
    };
    expect(
      words(stock('card.location_created', { location: 'RA office safe', odsCode: 'RWG01' })),
    ).toBe('Morgan Manager added the card location ‘RA office safe’ at Riverside General (RWG01)');
    expect(
      words(
        stock('card.stock_imported', {
          location: 'RA office safe',
          odsCode: 'RWG01',
          count: 1200,
          linesNotImported: 2,
        }),
      ),
    ).toBe(
      'Morgan Manager imported 1,200 blank cards into ‘RA office safe’ at Riverside General (RWG01); 2 bad lines left out',
    );
    expect(
      words(
        stock('card.stock_imported', {
          location: 'Safe',
          odsCode: 'RWG01',
          count: 1,
          linesNotImported: 0,
        }),
      ),
    ).toBe('Morgan Manager imported 1 blank card into ‘Safe’ at Riverside General (RWG01)');
    expect(
      words(
        stock(
          'card.moved',
          { fromLocation: 'Safe (RWG01)', toLocation: 'Ward 7 cupboard (RWG02)', odsCode: 'RWG02' },
          'CARD-0001',
        ),
      ),
    ).toBe('Morgan Manager moved card CARD-0001 from Safe (RWG01) to Ward 7 cupboard (RWG02)');
  });

  it('tells the CA’s work on a card: issued, revoked with its reason, held, released, and card moves', () => {
    const onCard = (action: string, summary: Record<string, unknown>): TrailEntry => {
      const entry = event(action, summary, false);
      entry.event.about.card = { serial: '0123456789abcdef0123456789abcdef', readable: true };
      return entry;
    };
    expect(words(onCard('card.certificate_issued', { profile: 'authentication' }))).toBe(
      'Morgan Manager issued an authentication certificate for Sky Staff’s card 01234567…',
    );
    expect(words(onCard('card.certificate_revoked', { reason: 'superseded' }))).toBe(
      'Morgan Manager revoked a certificate of Sky Staff’s card 01234567…: superseded',
    );
    expect(words(onCard('card.certificate_revoked', { reason: 'certificateHold' }))).toBe(
      'Morgan Manager put a certificate of Sky Staff’s card 01234567… on hold',
    );
    expect(words(onCard('card.certificate_released', {}))).toBe(
      'Morgan Manager released the hold on a certificate of Sky Staff’s card 01234567…',
    );
  });
});
