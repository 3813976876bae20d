import { type JobContext, referenceField } from './job-context.ts';
import { JobFailure, refused } from './job-failure.ts';
import { changePuk, resetRetryCounter, verifyPin } from './piv-commands.ts';

const triesLeftOf = (sw: number) => ((sw & 0xfff0) === 0x63c0 ? sw & 0x0f : undefined);
const tries = (n: number) => `${n} ${n === 1 ? 'try' : 'tries'} left`;

/** Sends a command holding a PIN or PUK, then wipes it. */
async function sendSecret(ctx: JobContext, apdu: Buffer) {
  try {
    return await ctx.session.send(apdu);
  } finally {
    apdu.fill(0);
  }
}

/** Self-service: the holder proves they hold the card by its PIN (VERIFY). */
export async function verifyHolderPin(ctx: JobContext, pin: string): Promise<void> {
  ctx.working('pin_verified');
  const r = await sendSecret(ctx, verifyPin(pin));
  const left = triesLeftOf(r.sw);
  if (r.sw === 0x6983 || left === 0)
    throw new JobFailure('The PIN is blocked: the card must be unlocked before it can be renewed.');
  if (left !== undefined)
    throw new JobFailure(`The card did not accept the PIN: ${tries(left)} before it blocks.`);
  if (r.sw !== 0x9000) throw refused('The card would not check the PIN', r.sw);
  ctx.note({ step: 'pin_verified' });
}

const pukBlocked = () =>
  new JobFailure(
    "The card's PUK is blocked: its PIN can no longer be set or unlocked, and the card must be replaced.",
  );

/**
 * Sets the PIN with the PUK (RESET RETRY COUNTER, which also unblocks it), trying the PUKs
 * the server holds for the card in its order, then changes the PUK to the server's new one.
 * A PUK the card refuses costs one of its tries; the one that worked is reported. The PUKs
 * are asked for here (puk_requested) unless `given`, the answer of a call that asked already.
 */
export async function setPinAndChangePuk(
  ctx: JobContext,
  newPin: string,
  given?: Record<string, unknown>,
): Promise<void> {
  ctx.working('puk_requested');
  const answer = given ?? (await ctx.report({ step: 'puk_requested' }));
  if (!Array.isArray(answer.puks) || !answer.puks.length)
    throw new JobFailure('The RA server holds no PUK for this card.');
  const puks = answer.puks.map((p) => referenceField(p, 'PUK'));
  const newPuk = referenceField(answer.newPuk, 'new PUK');
  ctx.working('pin_set');
  let candidate = 0;
  let left: number | undefined;
  for (; ; candidate++) {
    const puk = puks[candidate];
    if (puk === undefined)
      throw new JobFailure(
        `The card refused every PUK the RA server holds for it (${puks.length})${left === undefined ? '' : `; ${tries(left)} before the PUK blocks`}.`,
      );
    const r = await sendSecret(ctx, resetRetryCounter(puk, newPin));
    if (r.sw === 0x9000) break;
    left = triesLeftOf(r.sw);
    if (r.sw === 0x6983 || left === 0) throw pukBlocked();
    if (left === undefined) throw refused('The card would not set the PIN', r.sw);
  }
  // Reported before the PUK changes: the server then keeps the new PUK as the card's pending
  // one, so a job that stops between the two still knows both.
  await ctx.report({ step: 'pin_set', candidate });
  ctx.working('puk_changed');
  const r = await sendSecret(ctx, changePuk(puks[candidate] as string, newPuk));
  if (r.sw === 0x6983) throw pukBlocked();
  if (r.sw !== 0x9000) throw refused('The card would not change its PUK', r.sw);
  ctx.note({ step: 'puk_changed', candidate });
}
