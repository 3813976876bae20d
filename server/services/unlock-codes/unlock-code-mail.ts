import { timeOf } from '../dates.ts';
import type { MailMessage } from '../mail/mailer.ts';

/** The email that carries a code: the code alone on its line, when it stops working, and what to do if unasked. */
export function unlockCodeMail(to: string, code: string, expiresAt: Date): MailMessage {
  return {
    to,
    subject: 'Your code to unlock your smartcard',
    text: [
      'You asked to unlock your smartcard. Your one-time code is:',
      '',
      `    ${code}`,
      '',
      `Enter it on the Unlock my card page before ${timeOf(expiresAt)} (UK time): it works`,
      'for 15 minutes, and once. Then choose a new passcode for your card.',
      '',
      'If you did not ask for this code, someone may be signed in as you: tell your RA',
      'team. Nobody from the RA team will ever ask you for this code.',
      '',
      'Smartcard RA',
    ].join('\n'),
  };
}
