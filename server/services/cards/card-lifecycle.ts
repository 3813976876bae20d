import { cardStates } from '../../../db/schema/cards.ts';
import {
  ConflictError,
  type DomainError,
  ForbiddenError,
  SeparationOfDutiesError,
  ValidationError,
} from '../../errors.ts';
import type { Permission } from '../../permissions/permissions.ts';

/**
 * The card lifecycle as data (DOMAIN.md "Cards and certificates"): every state a card can
 * be in, every move between them, who may make it, what reason it needs and what it does to
 * the card's certificates. Every change of a card's state is planned here and nowhere else;
 * the verb that stores it writes the state, the certificate effect and the audit event in
 * one transaction.
 */
export type CardState = (typeof cardStates)[number];
export { cardStates };

export const cardVerbs = [
  'issue',
  'activate',
  'block',
  'unlock',
  'renew',
  'suspend',
  'reinstate',
  'cancel',
  'return',
  'clear',
  'destroy',
] as const;
export type CardVerb = (typeof cardVerbs)[number];

/** Why a card is cancelled or suspended, as the RA records it. */
export const cardReasons = [
  'lost',
  'stolen',
  'damaged',
  'left',
  'replaced',
  'reported_missing',
] as const;
export type CardReason = (typeof cardReasons)[number];

/** RFC 5280 §5.3.1 CRLReason values our CA uses. */
export type RevocationReason =
  | 'keyCompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL';

/**
 * What a move does to the card's certificates: nothing, revoke for good with an RFC 5280
 * reason, put on hold (`certificateHold`, reversible) or release a hold (`removeFromCRL`).
 */
export type CertificateEffect =
  | 'none'
  | { revoke: Exclude<RevocationReason, 'certificateHold' | 'removeFromCRL'> }
  | 'hold'
  | 'release';

interface TransitionBase {
  from: CardState;
  to: CardState;
  verb: CardVerb;
  /**
   * What an operator needs to make it; `system` for moves no person makes: the server
   * records them from what a reader saw (a PIN blocked by wrong tries).
   */
  permission: Permission | 'system';
  /** A holder may make it on their own card with this permission (self-service). */
  selfService?: Permission;
  /** Nobody makes it on their own card as an operator (DOMAIN.md separation of duties). */
  ownCardForbidden: boolean;
}

export type CardTransition = TransitionBase &
  (
    | { needsReason: false; certificates: CertificateEffect }
    | {
        needsReason: true;
        /** The reasons allowed, each with what it does to the certificates. */
        reasons: readonly { reason: CardReason; certificates: CertificateEffect }[];
      }
  );

/*
 * Cancelling revokes for good; the RFC 5280 reason says to relying parties how much to
 * distrust what the key signed before:
 * - lost, stolen: keyCompromise. The private key is on a card out of our control; the PIN
 *   slows an attacker down but we cannot show the key was not used.
 * - left: affiliationChanged. The subject's relationship with the organisation ended; the
 *   key is not suspect.
 * - damaged: cessationOfOperation. The card (and the key on it) no longer works; nothing
 *   suggests compromise, and it may or may not be replaced.
 * - replaced: superseded. A new card carries the holder's new certificates.
 */
const cancelReasons = [
  { reason: 'lost', certificates: { revoke: 'keyCompromise' } },
  { reason: 'stolen', certificates: { revoke: 'keyCompromise' } },
  { reason: 'damaged', certificates: { revoke: 'cessationOfOperation' } },
  { reason: 'left', certificates: { revoke: 'affiliationChanged' } },
  { reason: 'replaced', certificates: { revoke: 'superseded' } },
] as const satisfies readonly { reason: CardReason; certificates: CertificateEffect }[];

/** A card reported missing may come back: its certificates are held, not revoked. */
const suspendReasons = [{ reason: 'reported_missing', certificates: 'hold' }] as const;

/** A card still in the holder's hands (or thought to be), whose certificates are live or held. */
const cancellable: readonly CardState[] = ['issued_locked', 'active', 'blocked', 'suspended'];

/** Every allowed move of a card. Anything not here is refused. */
export const cardTransitions: readonly CardTransition[] = [
  // The issuing verb writes the certificates onto the card through the CA; the move itself
  // changes none that exist.
  {
    from: 'in_stock',
    to: 'issued_locked',
    verb: 'issue',
    permission: 'cards:issue',
    ownCardForbidden: true,
    needsReason: false,
    certificates: 'none',
  },
  // The holder sets the passcode at the operator's workstation, which finishes the issue.
  {
    from: 'issued_locked',
    to: 'active',
    verb: 'activate',
    permission: 'cards:issue',
    ownCardForbidden: true,
    needsReason: false,
    certificates: 'none',
  },
  {
    from: 'active',
    to: 'blocked',
    verb: 'block',
    permission: 'system',
    ownCardForbidden: false,
    needsReason: false,
    certificates: 'none',
  },
  {
    from: 'blocked',
    to: 'active',
    verb: 'unlock',
    permission: 'cards:unlock',
    selfService: 'cards:unlock-own',
    ownCardForbidden: true,
    needsReason: false,
    certificates: 'none',
  },
  // A holder who forgot their PIN before blocking it, or whose card was issued locked, sets a
  // new one the same way: the card's PUK and a new PIN, at the desk or by self-service.
  ...(['issued_locked', 'active'] as const).map(
    (from): CardTransition => ({
      from,
      to: 'active',
      verb: 'unlock',
      permission: 'cards:unlock',
      selfService: 'cards:unlock-own',
      ownCardForbidden: true,
      needsReason: false,
      certificates: 'none',
    }),
  ),
  // New keys and certificates on the same card; the job that writes them revokes the old
  // ones as superseded once the new ones are on the card. When is decided by the card jobs'
  // rules (the last 90 days, or expired: an RA agent in person).
  {
    from: 'active',
    to: 'active',
    verb: 'renew',
    permission: 'cards:renew',
    selfService: 'cards:renew-own',
    ownCardForbidden: true,
    needsReason: false,
    certificates: 'none',
  },
  ...(['active', 'blocked'] as const).map(
    (from): CardTransition => ({
      from,
      to: 'suspended',
      verb: 'suspend',
      permission: 'cards:cancel',
      ownCardForbidden: true,
      needsReason: true,
      reasons: suspendReasons,
    }),
  ),
  // Back to active, not to blocked: a PIN still blocked shows again at the next sighting.
  {
    from: 'suspended',
    to: 'active',
    verb: 'reinstate',
    permission: 'cards:cancel',
    ownCardForbidden: true,
    needsReason: false,
    certificates: 'release',
  },
  ...cancellable.map(
    (from): CardTransition => ({
      from,
      to: 'cancelled',
      verb: 'cancel',
      permission: 'cards:cancel',
      ownCardForbidden: true,
      needsReason: true,
      reasons: cancelReasons,
    }),
  ),
  // Stock handling: the certificates were revoked at cancelling, and these moves are about
  // the plastic, so handling one's own returned card is no conflict of duties.
  {
    from: 'cancelled',
    to: 'returned',
    verb: 'return',
    permission: 'card-stock:manage',
    ownCardForbidden: false,
    needsReason: false,
    certificates: 'none',
  },
  {
    from: 'returned',
    to: 'in_stock',
    verb: 'clear',
    permission: 'card-stock:manage',
    ownCardForbidden: false,
    needsReason: false,
    certificates: 'none',
  },
  ...(['returned', 'in_stock'] as const).map(
    (from): CardTransition => ({
      from,
      to: 'destroyed',
      verb: 'destroy',
      permission: 'card-stock:manage',
      ownCardForbidden: false,
      needsReason: false,
      certificates: 'none',
    }),
  ),
];

/** The card as the lifecycle sees it: its state and the account of its holder, if any. */
export interface LifecycleCard {
  state: CardState;
  /** The holder's sign-in account (null: no holder, or a holder without an account). */
  holderAccountId: string | null;
}

/** A signed-in operator, or the server itself (reader sightings, a person's closing). */
export type LifecycleActor = { accountId: string; permissions: readonly Permission[] } | 'system';

export interface TransitionRequest {
  card: LifecycleCard;
  actor: LifecycleActor;
  verb: CardVerb;
  reason?: string | null | undefined;
}

export type TransitionPlan =
  | {
      ok: true;
      transition: CardTransition;
      to: CardState;
      reason: CardReason | null;
      certificates: CertificateEffect;
    }
  | { ok: false; error: DomainError };

const stateWords: Record<CardState, string> = {
  in_stock: 'in stock',
  issued_locked: 'issued and waiting for its passcode',
  active: 'active',
  blocked: 'blocked',
  suspended: 'suspended',
  cancelled: 'cancelled',
  returned: 'returned',
  destroyed: 'destroyed',
};

const verbWords: Record<CardVerb, string> = {
  issue: 'issued',
  activate: 'activated',
  block: 'blocked',
  unlock: 'unlocked',
  renew: 'renewed',
  suspend: 'suspended',
  reinstate: 'reinstated',
  cancel: 'cancelled',
  return: 'returned',
  clear: 'cleared back to stock',
  destroy: 'destroyed',
};

/** The reasons in words, as a person picks them. */
export const reasonWords: Record<CardReason, string> = {
  lost: 'lost',
  stolen: 'stolen',
  damaged: 'damaged',
  left: 'the holder left',
  replaced: 'replaced by another card',
  reported_missing: 'reported missing',
};

function orList(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The row for a verb from a state, if the table has one. */
export function transitionFrom(state: CardState, verb: CardVerb): CardTransition | undefined {
  return cardTransitions.find((t) => t.from === state && t.verb === verb);
}

/** Who may make a move, without the reason: null when allowed, else the refusal. */
function refusalOf(
  card: LifecycleCard,
  actor: LifecycleActor,
  transition: CardTransition,
): DomainError | null {
  // The server's own moves (sightings, a person's closing) follow the table but are no
  // person's act, so neither permission nor separation of duties applies.
  if (actor === 'system') return null;
  const action = verbWords[transition.verb].replace(' back to stock', '');
  if (transition.permission === 'system') {
    return new ForbiddenError(
      `Nobody marks a card ${action} by hand: the server records it from what a reader saw.`,
    );
  }
  const own = card.holderAccountId !== null && card.holderAccountId === actor.accountId;
  if (own && transition.selfService && actor.permissions.includes(transition.selfService)) {
    return null;
  }
  if (!actor.permissions.includes(transition.permission)) {
    return new ForbiddenError(
      `A card is ${action} by someone with the permission ${transition.permission}, which you do not have.`,
    );
  }
  if (own && transition.ownCardForbidden) {
    return new SeparationOfDutiesError(
      `This is your own card, so someone else must have it ${action}: ask a colleague.`,
    );
  }
  return null;
}

/**
 * Plans one move of a card: where it goes and what happens to its certificates, or why not.
 * Refusals, in this order: no such move from the card's state (CONFLICT, saying what can be
 * done from it), a missing permission (FORBIDDEN, naming it), one's own card (SEPARATION_OF_
 * DUTIES), a reason missing, not allowed or not asked for (VALIDATION on `reason`).
 */
export function planTransition(request: TransitionRequest): TransitionPlan {
  const { card, actor, verb } = request;
  const transition = transitionFrom(card.state, verb);
  if (!transition) {
    const possible = cardTransitions.filter((t) => t.from === card.state);
    const state = stateWords[card.state];
    const next =
      possible.length === 0
        ? 'that is final.'
        : `it can be ${orList(possible.map((t) => verbWords[t.verb]))}.`;
    return {
      ok: false,
      error: new ConflictError(
        `This card is ${state}, so it cannot be ${verbWords[verb]}: ${next}`,
        { state: card.state, allowedVerbs: possible.map((t) => t.verb) },
      ),
    };
  }
  const refusal = refusalOf(card, actor, transition);
  if (refusal) return { ok: false, error: refusal };

  const reason = request.reason ?? null;
  if (!transition.needsReason) {
    if (reason !== null && reason !== '') {
      return {
        ok: false,
        error: ValidationError.of([
          { field: 'reason', message: `takes no reason when a card is ${verbWords[verb]}` },
        ]),
      };
    }
    return {
      ok: true,
      transition,
      to: transition.to,
      reason: null,
      certificates: transition.certificates,
    };
  }
  const rule = transition.reasons.find((r) => r.reason === reason);
  if (!rule) {
    const allowed = orList(transition.reasons.map((r) => `${reasonWords[r.reason]} (${r.reason})`));
    return {
      ok: false,
      error: ValidationError.of([
        {
          field: 'reason',
          message:
            reason === null || reason === ''
              ? `is needed: say why the card is ${verbWords[verb]} (${allowed})`
              : `must be ${allowed}`,
        },
      ]),
    };
  }
  return {
    ok: true,
    transition,
    to: transition.to,
    reason: rule.reason,
    certificates: rule.certificates,
  };
}

/** As `planTransition`, throwing the refusal. */
export function assertTransition(request: TransitionRequest) {
  const plan = planTransition(request);
  if (!plan.ok) throw plan.error;
  return plan;
}

/** The verbs the caller may take on the card now: the buttons of a card's page. */
export function allowedTransitions(card: LifecycleCard, actor: LifecycleActor): CardVerb[] {
  return cardTransitions
    .filter((t) => t.from === card.state && refusalOf(card, actor, t) === null)
    .map((t) => t.verb);
}

/**
 * What a person's closing does to one of their cards (DOMAIN.md: a person who leaves has
 * their cards cancelled as affiliationChanged): the plan of cancelling it with reason
 * `left`, or null when the card's state has nothing left to cancel (in stock, already
 * cancelled, returned, destroyed).
 */
export function transitionOnPersonClosed(state: CardState) {
  if (!transitionFrom(state, 'cancel')) return null;
  return assertTransition({
    card: { state, holderAccountId: null },
    actor: 'system',
    verb: 'cancel',
    reason: 'left',
  });
}
