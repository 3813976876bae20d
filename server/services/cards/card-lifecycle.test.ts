import { describe, expect, it } from 'vitest';
import { type RoleName, rolePermissions } from '../../permissions/permissions.ts';
import {
  allowedTransitions,
  type CardState,
  type CardTransition,
  cardStates,
  cardTransitions,
  cardVerbs,
  type LifecycleActor,
  planTransition,
  transitionOnPersonClosed,
} from './card-lifecycle.ts';

const holder = 'holder-account';
const roles = Object.keys(rolePermissions) as RoleName[];
const operatorOf = (role: RoleName, accountId = 'operator-account'): LifecycleActor => ({
  accountId,
  permissions: rolePermissions[role],
});
const manager = operatorOf('ra_manager');

/** An actor who may make the move on someone else's card. */
function actorFor(t: CardTransition): LifecycleActor {
  return t.permission === 'system' ? 'system' : manager;
}

/** Every way a move may be asked for well: one per allowed reason, or none. */
function goodRequests(t: CardTransition) {
  return t.needsReason
    ? t.reasons.map((r) => ({ reason: r.reason as string | null, certificates: r.certificates }))
    : [{ reason: null, certificates: t.certificates }];
}

const name = (t: CardTransition) => `${t.verb} ${t.from} → ${t.to}`;

describe('the card lifecycle table', () => {
  it('has one row per state and verb, between known states', () => {
    const keys = cardTransitions.map((t) => `${t.from}:${t.verb}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const t of cardTransitions) {
      expect(cardStates).toContain(t.from);
      expect(cardStates).toContain(t.to);
      if (t.needsReason) expect(t.reasons.length).toBeGreaterThan(0);
    }
  });

  it('lets a card reach every state from stock, and destroyed is final', () => {
    const reached = new Set<CardState>(['in_stock']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const t of cardTransitions) {
        if (reached.has(t.from) && !reached.has(t.to)) {
          reached.add(t.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...cardStates].sort());
    expect(cardTransitions.filter((t) => t.from === 'destroyed')).toEqual([]);
  });

  it('cancels for every reason of DOMAIN.md from every state still in use, revoking with the RFC 5280 reason', () => {
    for (const from of ['issued_locked', 'active', 'blocked', 'suspended'] as const) {
      const plans = Object.fromEntries(
        ['lost', 'stolen', 'damaged', 'left', 'replaced'].map((reason) => {
          const plan = planTransition({
            card: { state: from, holderAccountId: holder },
            actor: manager,
            verb: 'cancel',
            reason,
          });
          if (!plan.ok) throw plan.error;
          expect(plan.to).toBe('cancelled');
          return [reason, plan.certificates];
        }),
      );
      expect(plans).toEqual({
        lost: { revoke: 'keyCompromise' },
        stolen: { revoke: 'keyCompromise' },
        damaged: { revoke: 'cessationOfOperation' },
        left: { revoke: 'affiliationChanged' },
        replaced: { revoke: 'superseded' },
      });
    }
  });

  it('holds certificates on suspending and releases them on reinstating', () => {
    const suspend = planTransition({
      card: { state: 'active', holderAccountId: holder },
      actor: manager,
      verb: 'suspend',
      reason: 'reported_missing',
    });
    expect(suspend).toMatchObject({ ok: true, to: 'suspended', certificates: 'hold' });
    const reinstate = planTransition({
      card: { state: 'suspended', holderAccountId: holder },
      actor: manager,
      verb: 'reinstate',
    });
    expect(reinstate).toMatchObject({ ok: true, to: 'active', certificates: 'release' });
  });
});

describe('planTransition: every move of the table', () => {
  for (const t of cardTransitions) {
    it(`${name(t)} goes through with each allowed reason and its certificate effect`, () => {
      for (const good of goodRequests(t)) {
        const plan = planTransition({
          card: { state: t.from, holderAccountId: holder },
          actor: actorFor(t),
          verb: t.verb,
          reason: good.reason,
        });
        expect(plan).toEqual({
          ok: true,
          transition: t,
          to: t.to,
          reason: good.reason,
          certificates: good.certificates,
        });
      }
    });
  }
});

describe('planTransition: refusals', () => {
  it('refuses every verb from every state the table does not allow it from, naming what is allowed', () => {
    let refused = 0;
    for (const state of cardStates) {
      const allowed = cardTransitions.filter((t) => t.from === state).map((t) => t.verb);
      for (const verb of cardVerbs.filter((v) => !allowed.includes(v))) {
        const plan = planTransition({
          card: { state, holderAccountId: holder },
          actor: 'system',
          verb,
          reason: 'lost',
        });
        expect(plan.ok).toBe(false);
        if (plan.ok) continue;
        expect(plan.error.code).toBe('CONFLICT');
        expect(plan.error.details).toEqual({ state, allowedVerbs: allowed });
        refused++;
      }
    }
    expect(refused).toBe(cardStates.length * cardVerbs.length - cardTransitions.length);
  });

  it('says in words what can be done instead', () => {
    const plan = planTransition({
      card: { state: 'active', holderAccountId: holder },
      actor: manager,
      verb: 'issue',
    });
    expect(!plan.ok && plan.error.message).toBe(
      'This card is active, so it cannot be issued: it can be blocked, unlocked, renewed, suspended or cancelled.',
    );
    const final = planTransition({
      card: { state: 'destroyed', holderAccountId: null },
      actor: manager,
      verb: 'clear',
    });
    expect(!final.ok && final.error.message).toBe(
      'This card is destroyed, so it cannot be cleared back to stock: that is final.',
    );
  });

  for (const t of cardTransitions) {
    it(`${name(t)} is refused to every role without its permission, naming it`, () => {
      const reason = goodRequests(t)[0]?.reason;
      for (const role of roles) {
        const granted = rolePermissions[role];
        if (t.permission !== 'system' && granted.includes(t.permission)) continue;
        const plan = planTransition({
          card: { state: t.from, holderAccountId: holder },
          actor: operatorOf(role),
          verb: t.verb,
          reason,
        });
        expect(plan.ok, `${role} may not ${t.verb}`).toBe(false);
        if (plan.ok) continue;
        expect(plan.error.code).toBe('FORBIDDEN');
        if (t.permission !== 'system') expect(plan.error.message).toContain(t.permission);
      }
    });

    it(`${name(t)} is allowed to every role with its permission`, () => {
      const reason = goodRequests(t)[0]?.reason;
      for (const role of roles) {
        if (t.permission === 'system' || !rolePermissions[role].includes(t.permission)) continue;
        const plan = planTransition({
          card: { state: t.from, holderAccountId: holder },
          actor: operatorOf(role),
          verb: t.verb,
          reason,
        });
        expect(plan.ok, `${role} may ${t.verb}`).toBe(true);
      }
    });
  }

  it('refuses every operator move on one’s own card where the table says so, even to an RA manager', () => {
    const own = cardTransitions.filter((t) => t.ownCardForbidden);
    expect(own.map((t) => t.verb)).toEqual(
      expect.arrayContaining(['issue', 'unlock', 'suspend', 'reinstate', 'cancel']),
    );
    for (const t of own) {
      const plan = planTransition({
        card: { state: t.from, holderAccountId: 'operator-account' },
        // Without the self-service permission, so only the operator's way is open.
        actor: {
          accountId: 'operator-account',
          permissions: rolePermissions.ra_manager.filter((p) => p !== t.selfService),
        },
        verb: t.verb,
        reason: goodRequests(t)[0]?.reason,
      });
      expect(plan.ok ? 'ok' : plan.error.code, name(t)).toBe('SEPARATION_OF_DUTIES');
    }
  });

  it('lets a holder unlock their own card by self-service, and nobody else’s', () => {
    const card = { state: 'blocked', holderAccountId: holder } as const;
    expect(planTransition({ card, actor: operatorOf('staff', holder), verb: 'unlock' }).ok).toBe(
      true,
    );
    // An RA agent holds cards:unlock-own too: on their own card that is the self-service way.
    expect(planTransition({ card, actor: operatorOf('ra_agent', holder), verb: 'unlock' }).ok).toBe(
      true,
    );
    const other = planTransition({
      card,
      actor: operatorOf('staff', 'someone-else'),
      verb: 'unlock',
    });
    expect(!other.ok && other.error.code).toBe('FORBIDDEN');
  });

  it('lets operators handle their own returned card as stock', () => {
    for (const t of cardTransitions.filter(
      (t) => !t.ownCardForbidden && t.permission !== 'system',
    )) {
      const plan = planTransition({
        card: { state: t.from, holderAccountId: 'operator-account' },
        actor: manager,
        verb: t.verb,
      });
      expect(plan.ok, name(t)).toBe(true);
    }
  });

  it('refuses a move the server records (a blocked PIN) to every person', () => {
    const plan = planTransition({
      card: { state: 'active', holderAccountId: holder },
      actor: manager,
      verb: 'block',
    });
    expect(!plan.ok && plan.error.code).toBe('FORBIDDEN');
  });

  for (const t of cardTransitions.filter((t) => t.needsReason)) {
    it(`${name(t)} needs one of its reasons, naming the field and the allowed values`, () => {
      const allowed = t.needsReason ? t.reasons.map((r) => r.reason) : [];
      for (const reason of [undefined, null, '', 'bored', 'LOST', 'reinstated']) {
        const plan = planTransition({
          card: { state: t.from, holderAccountId: holder },
          actor: actorFor(t),
          verb: t.verb,
          reason,
        });
        expect(plan.ok).toBe(false);
        if (plan.ok) continue;
        expect(plan.error.code).toBe('VALIDATION');
        const [problem, ...more] = plan.error.details as { field: string; message: string }[];
        expect(more).toEqual([]);
        expect(problem?.field).toBe('reason');
        for (const code of allowed) expect(problem?.message).toContain(code);
      }
      // A reason of another move is no reason for this one.
      const foreign = t.verb === 'cancel' ? 'reported_missing' : 'lost';
      const plan = planTransition({
        card: { state: t.from, holderAccountId: holder },
        actor: actorFor(t),
        verb: t.verb,
        reason: foreign,
      });
      expect(!plan.ok && plan.error.code).toBe('VALIDATION');
    });
  }

  it('says a missing reason and a wrong one in words', () => {
    const card = { state: 'active', holderAccountId: holder } as const;
    const missing = planTransition({ card, actor: manager, verb: 'suspend' });
    expect(!missing.ok && missing.error.details).toEqual([
      {
        field: 'reason',
        message: 'is needed: say why the card is suspended (reported missing (reported_missing))',
      },
    ]);
    const wrong = planTransition({ card, actor: manager, verb: 'cancel', reason: 'bored' });
    expect(!wrong.ok && wrong.error.details).toEqual([
      {
        field: 'reason',
        message:
          'must be lost (lost), stolen (stolen), damaged (damaged), the holder left (left) or replaced by another card (replaced)',
      },
    ]);
  });

  for (const t of cardTransitions.filter((t) => !t.needsReason)) {
    it(`${name(t)} takes no reason`, () => {
      const plan = planTransition({
        card: { state: t.from, holderAccountId: holder },
        actor: actorFor(t),
        verb: t.verb,
        reason: 'lost',
      });
      expect(!plan.ok && plan.error.details).toEqual([
        { field: 'reason', message: expect.stringContaining('takes no reason') },
      ]);
    });
  }
});

describe('allowedTransitions', () => {
  it('offers exactly the verbs planTransition would let each role take, in every state', () => {
    for (const state of cardStates) {
      for (const role of roles) {
        for (const accountId of ['operator-account', holder]) {
          const card = { state, holderAccountId: holder };
          const actor = operatorOf(role, accountId);
          const expected = cardVerbs.filter((verb) => {
            const t = cardTransitions.find((r) => r.from === state && r.verb === verb);
            if (!t) return false;
            return planTransition({ card, actor, verb, reason: goodRequests(t)[0]?.reason }).ok;
          });
          expect(new Set(allowedTransitions(card, actor)), `${role} ${accountId} ${state}`).toEqual(
            new Set(expected),
          );
        }
      }
    }
  });

  it('gives an RA agent the buttons of an active card of someone else, and a holder only unlock and renew', () => {
    expect(
      allowedTransitions({ state: 'active', holderAccountId: holder }, operatorOf('ra_agent')),
    ).toEqual(['unlock', 'renew', 'suspend', 'cancel']);
    expect(
      allowedTransitions(
        { state: 'blocked', holderAccountId: holder },
        operatorOf('staff', holder),
      ),
    ).toEqual(['unlock']);
    expect(
      allowedTransitions(
        { state: 'active', holderAccountId: holder },
        operatorOf('ra_agent', holder),
      ),
    ).toEqual(['unlock', 'renew']);
  });
});

describe('a person closed', () => {
  it('has every card still in use cancelled as left, revoking as affiliationChanged, and nothing else touched', () => {
    const effects = Object.fromEntries(
      cardStates.map((state) => {
        const plan = transitionOnPersonClosed(state);
        return [
          state,
          plan && { to: plan.to, reason: plan.reason, certificates: plan.certificates },
        ];
      }),
    );
    const cancelled = {
      to: 'cancelled',
      reason: 'left',
      certificates: { revoke: 'affiliationChanged' },
    };
    expect(effects).toEqual({
      in_stock: null,
      issued_locked: cancelled,
      active: cancelled,
      blocked: cancelled,
      suspended: cancelled,
      cancelled: null,
      returned: null,
      destroyed: null,
    });
  });
});
