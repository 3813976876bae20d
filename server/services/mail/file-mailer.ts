import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../../logger.ts';
import { type Mailer, type MailMessage, MailUnavailableError, mailFields } from './mailer.ts';

/** The folder mail is written to without SMTP_URL. */
export function mailFolder(dataDir: string): string {
  return join(resolve(dataDir), 'mail');
}

/**
 * Without SMTP_URL: each message is composed as it would be sent (nodemailer's stream
 * transport) and written as an .eml file into DATA_DIR/mail, readable by this user only, so
 * the demo and a deployer can see what would go out. The log names the file, never what is
 * in it.
 */
export function fileMailer(options: { dataDir: string; from: string }, logger: Logger): Mailer {
  const folder = mailFolder(options.dataDir);
  const transport = nodemailer.createTransport(
    { streamTransport: true, buffer: true, newline: 'unix' },
    { from: options.from },
  );
  return {
    kind: 'files',
    async send(message: MailMessage) {
      const name = `${new Date().toISOString().replaceAll(':', '-')}-${randomBytes(4).toString('hex')}.eml`;
      const file = join(folder, name);
      try {
        const info = await transport.sendMail(mailFields(message));
        await mkdir(folder, { recursive: true, mode: 0o700 });
        await writeFile(file, info.message, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        logger.error({ folder, code: (err as { code?: unknown }).code }, 'mail not written');
        throw new MailUnavailableError(
          'The message could not be written to the mail folder (no SMTP_URL is set).',
        );
      }
      logger.info({ file }, 'mail written to a file (no SMTP_URL set)');
    },
  };
}
