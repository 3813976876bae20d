import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Anything that could carry a secret is redacted by path as well,
 * in case a careless call logs a whole body or header set.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'smartcard-ra' },
    redact: {
      paths: [
        'password',
        '*.password',
        'pin',
        '*.pin',
        'puk',
        '*.puk',
        'token',
        '*.token',
        'headers.cookie',
        '*.headers.cookie',
        'headers["x-csrf-token"]',
      ],
      censor: '[redacted]',
    },
  });
}
