import { maxCertificateBytes } from '../read-piv-card.ts';
import { refusesExtended } from './card-session.ts';
import { base64Field, type JobContext } from './job-context.ts';
import { JobFailure, refused } from './job-failure.ts';
import { type JobSlot, jobSlots, type StepBody } from './job-protocol.ts';
import {
  certificateObject,
  generateRsa2048,
  putDataChained,
  putDataExtended,
} from './piv-commands.ts';
import { certifiesKey, rsaPublicKeyInfo } from './public-key.ts';

const slotName = (slot: JobSlot) => slot.toUpperCase();

/** Makes an RSA 2048 key pair in one slot on the card; its public key as DER SPKI. */
async function generate(ctx: JobContext, slot: JobSlot): Promise<Buffer> {
  const { session } = ctx;
  let r = await session.exchange(generateRsa2048(slot, session.extended !== false));
  if (session.extended !== false && refusesExtended(r.sw)) {
    session.extended = false;
    r = await session.exchange(generateRsa2048(slot, false));
  }
  if (r.sw === 0x6982)
    throw refused(
      `The card refused to make a key in slot ${slotName(slot)}: the management key was not accepted`,
      r.sw,
    );
  if (r.sw === 0x6a80 || r.sw === 0x6a81 || r.sw === 0x6a86)
    throw refused(`The card cannot make an RSA 2048 key in slot ${slotName(slot)}`, r.sw);
  if (r.sw !== 0x9000)
    throw refused(`The card failed to make a key in slot ${slotName(slot)}`, r.sw);
  return rsaPublicKeyInfo(r.data);
}

/** Writes one certificate object: one extended APDU when the card takes it, else chained. */
async function write(ctx: JobContext, slot: JobSlot, der: Buffer): Promise<void> {
  const { session } = ctx;
  const data = certificateObject(slot, der);
  if (session.extended !== false) {
    const r = await session.send(putDataExtended(data));
    if (!refusesExtended(r.sw)) {
      if (r.sw !== 0x9000)
        throw refused(`The card refused the certificate for slot ${slotName(slot)}`, r.sw);
      session.extended = true;
      return;
    }
    session.extended = false;
  }
  for (const piece of putDataChained(data)) {
    const r = await session.send(piece);
    if (r.sw !== 0x9000)
      throw refused(`The card refused the certificate for slot ${slotName(slot)}`, r.sw);
  }
}

/**
 * Makes the keys on the card (9A, then 9C), sends their public keys to the server, checks
 * that each certificate it answers is for the key made in its slot, and writes both. With
 * `withPuks` (issue), the same call asks for the PUKs (puk_requested), saving the PIN step a
 * round trip; the server's answer is returned for it.
 */
export async function makeKeysAndWriteCertificates(
  ctx: JobContext,
  options: { withPuks?: boolean } = {},
): Promise<Record<string, unknown>> {
  ctx.working('keys_generated');
  const publicKeys = {} as Record<JobSlot, Buffer>;
  for (const slot of jobSlots) publicKeys[slot] = await generate(ctx, slot);
  const keys: StepBody = {
    step: 'keys_generated',
    publicKeys: {
      '9a': publicKeys['9a'].toString('base64'),
      '9c': publicKeys['9c'].toString('base64'),
    },
  };
  const answer = await (options.withPuks
    ? ctx.report(keys, { step: 'puk_requested' })
    : ctx.report(keys));
  ctx.working('certificates_written');
  const given = (answer.certificates ?? {}) as Record<string, unknown>;
  const certificates = {} as Record<JobSlot, Buffer>;
  for (const slot of jobSlots) {
    const der = base64Field(given[slot], `certificate for slot ${slotName(slot)}`);
    if (der.length > maxCertificateBytes)
      throw new JobFailure(
        `The RA server's certificate for slot ${slotName(slot)} is larger than a card takes (${der.length} bytes); nothing was written.`,
      );
    if (!certifiesKey(der, publicKeys[slot]))
      throw new JobFailure(
        `The RA server's certificate for slot ${slotName(slot)} is not for the key the card made; nothing was written.`,
      );
    certificates[slot] = der;
  }
  for (const slot of jobSlots) await write(ctx, slot, certificates[slot]);
  ctx.note({ step: 'certificates_written' });
  return answer;
}
