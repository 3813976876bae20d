import nodemailer from 'nodemailer';
import type { MailPolicy } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import { type Mailer, type MailMessage, MailUnavailableError, mailFields } from './mailer.ts';

/** What nodemailer's errors carry that a log may keep: no server text (it may quote an address). */
interface SmtpFailure {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
}

/** The transport options for an smtp:// or smtps:// URL, with our timeouts. */
export function smtpOptions(policy: MailPolicy & { smtpUrl: string }) {
  const url = new URL(policy.smtpUrl);
  const ms = policy.timeoutSeconds * 1000;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    ...(url.port ? { port: Number(url.port) } : {}),
    // smtps: TLS from the first byte (465); smtp: STARTTLS whenever the server offers it (587).
    secure: url.protocol === 'smtps:',
    ...(url.username || url.password
      ? {
          auth: {
            user: decodeURIComponent(url.username),
            pass: decodeURIComponent(url.password),
          },
        }
      : {}),
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    dnsTimeout: ms,
    logger: false,
    debug: false,
  };
}

/** Why the mail server did not take a message, in words for the person waiting. */
export function describeSmtpFailure(err: unknown, timeoutSeconds: number): string {
  const e = (err ?? {}) as SmtpFailure;
  const status = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (status !== null && status >= 400) {
    return `The mail server refused the message (SMTP ${status}).`;
  }
  switch (e.code) {
    case 'ETIMEDOUT':
      return `The mail server did not answer within ${timeoutSeconds} second${timeoutSeconds === 1 ? '' : 's'}.`;
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
    case 'ETLS':
      return 'The mail server could not be reached.';
    case 'EAUTH':
    case 'ENOAUTH':
      return 'The mail server refused the RA server’s sign-in.';
    default:
      return 'The mail server did not take the message.';
  }
}

/**
 * Sends through SMTP_URL's server, one connection per message. Connecting, the greeting and
 * any silence each time out after SMTP_TIMEOUT_SECONDS, and the whole send after three times
 * that, so a mail server that hangs answers the page with a 503 rather than leaving it waiting.
 */
export function smtpMailer(policy: MailPolicy & { smtpUrl: string }, logger: Logger): Mailer {
  const transport = nodemailer.createTransport(smtpOptions(policy), { from: policy.from });
  const deadlineMs = 3 * policy.timeoutSeconds * 1000;
  return {
    kind: 'smtp',
    async send(message: MailMessage) {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('send deadline'), { code: 'ETIMEDOUT' })),
          deadlineMs,
        );
      });
      try {
        await Promise.race([transport.sendMail(mailFields(message)), deadline]);
      } catch (err) {
        const e = err as SmtpFailure;
        logger.warn(
          {
            code: typeof e.code === 'string' ? e.code : undefined,
            responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
            command:
              typeof e.command === 'string' && /^[A-Z ]{1,16}$/.test(e.command)
                ? e.command
                : undefined,
            ms: Math.round(performance.now() - started),
          },
          'mail not sent',
        );
        throw new MailUnavailableError(describeSmtpFailure(err, policy.timeoutSeconds));
      } finally {
        clearTimeout(timer);
      }
      logger.info({ ms: Math.round(performance.now() - started) }, 'mail sent');
    },
  };
}
