import { find, TlvError } from '../../piv/tlv.ts';
import { hexField, type JobContext } from './job-context.ts';
import { JobFailure, refused } from './job-failure.ts';
import {
  challengeLength,
  managementAlgorithmName,
  managementChallengeRequest,
  managementResponse,
} from './piv-commands.ts';

const triesLeftOf = (sw: number) => ((sw & 0xfff0) === 0x63c0 ? sw & 0x0f : undefined);

/**
 * Proves to the card that the agent may change it: the card's challenge goes to the server,
 * which answers it under each management key the card may hold, likeliest first. A response
 * the card refuses costs a new challenge (the card forgets the old one) and the next
 * candidate. Which one the card took goes to the server with the next report.
 */
export async function authenticateManagementKey(ctx: JobContext): Promise<void> {
  const algorithm = ctx.job.managementAlgorithm;
  const name = managementAlgorithmName(algorithm);
  for (let candidate = 0; ; candidate++) {
    ctx.working('management_challenge');
    const asked = await ctx.session.exchange(managementChallengeRequest(algorithm));
    if (asked.sw === 0x6a86 || asked.sw === 0x6a80)
      throw refused(
        `The card's management key is not the ${name} key the RA server expects`,
        asked.sw,
      );
    if (asked.sw === 0x6983)
      throw new JobFailure(
        "The card's management key is blocked: the card cannot be changed and must be replaced.",
      );
    if (asked.sw !== 0x9000)
      throw refused('The card would not give a management-key challenge', asked.sw);
    let challenge: Buffer | undefined;
    try {
      challenge = find(find(asked.data, 0x7c) ?? Buffer.alloc(0), 0x81);
    } catch (err) {
      if (!(err instanceof TlvError)) throw err;
    }
    if (challenge?.length !== challengeLength(algorithm))
      throw new JobFailure(
        `The card's management-key challenge is not one ${name} block: it cannot be answered.`,
      );
    const answer = await ctx.report({
      step: 'management_challenge',
      challenge: challenge.toString('hex'),
    });
    const responses = answer.responses;
    if (!Array.isArray(responses))
      throw new JobFailure("The RA server's answer has no management-key responses.");
    if (candidate >= responses.length) {
      throw new JobFailure(
        candidate === 0
          ? 'The RA server holds no management key for this card.'
          : `The card refused every management key the RA server holds for it (${candidate}). It may have been personalised elsewhere; it cannot be used here until its management key is reset.`,
      );
    }
    const response = hexField(responses[candidate], 'management-key response', challenge.length);
    ctx.working('management_authenticated');
    const r = await ctx.session.send(managementResponse(algorithm, response));
    if (r.sw === 0x9000) return ctx.note({ step: 'management_authenticated', candidate });
    const left = triesLeftOf(r.sw);
    if (r.sw === 0x6983 || left === 0)
      throw new JobFailure(
        "The card's management key is now blocked: the card cannot be changed and must be replaced.",
      );
    if (r.sw !== 0x6982 && left === undefined)
      throw refused('The card refused the management-key response', r.sw);
  }
}

/**
 * Installs the card's own management key: the server sends the whole SET MANAGEMENT KEY
 * command (INS FF), which passes through as opaque bytes, is sent once, and is wiped; or no
 * command, when the card already holds its own key. The server has recorded that the card's
 * key is changing before it answers, so the next job tries both keys if this one stops here.
 */
export async function setManagementKey(ctx: JobContext): Promise<void> {
  ctx.working('management_key_apdu');
  const answer = await ctx.report({ step: 'management_key_apdu' });
  if (answer.apdu === null) return; // the server says the card already holds its own key
  const apdu = hexField(answer.apdu, 'SET MANAGEMENT KEY command');
  try {
    if (apdu.length < 6 || apdu[1] !== 0xff || apdu[2] !== 0xff)
      throw new JobFailure(
        'The RA server sent a command that is not SET MANAGEMENT KEY; it was not sent to the card.',
      );
    ctx.working('management_key_set');
    const r = await ctx.session.send(apdu);
    if (r.sw !== 0x9000) throw refused('The card refused its new management key', r.sw);
  } finally {
    apdu.fill(0);
  }
  ctx.note({ step: 'management_key_set' });
}
