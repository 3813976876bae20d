import type { Config } from '../../config.ts';
import { DomainError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { fileMailer } from './file-mailer.ts';
import { smtpMailer } from './smtp-mailer.ts';

/** One message to one person: plain text, and optionally HTML and attachments beside it. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** An iCalendar reminder and the like: sent as attachments, never logged. */
  attachments?: { filename: string; content: string; contentType: string }[];
}

/** nodemailer's fields for a message (the same for the SMTP and the file mailer). */
export function mailFields(message: MailMessage) {
  return {
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html ? { html: message.html } : {}),
    ...(message.attachments?.length ? { attachments: message.attachments } : {}),
  };
}

/**
 * Sends mail. Made once from the configuration (`createMailer`) and handed to the services
 * that need it through their context, as the CA opener is.
 */
export interface Mailer {
  /** `smtp`: through SMTP_URL's server; `files`: written into DATA_DIR/mail instead. */
  readonly kind: 'smtp' | 'files';
  /** Sends, or throws a MailUnavailableError (503) saying why, never with the message's text. */
  send(message: MailMessage): Promise<void>;
}

/** The mail server refused the message or did not answer; nothing was sent. */
export class MailUnavailableError extends DomainError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

/** SMTP_URL's server when it is set; otherwise .eml files in DATA_DIR/mail. */
export function createMailer(config: Pick<Config, 'mail' | 'dataDir'>, logger: Logger): Mailer {
  return config.mail.smtpUrl
    ? smtpMailer({ ...config.mail, smtpUrl: config.mail.smtpUrl }, logger)
    : fileMailer({ dataDir: config.dataDir, from: config.mail.from }, logger);
}
