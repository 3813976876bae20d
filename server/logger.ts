import { pino } from 'pino';

export type Logger = pino.Logger;

// What an error may say in a log: its kind and where the database put it, never values.
const keptFields = [
  'code',
  'severity',
  'constraint',
  'table',
  'column',
  'schema',
  'dataType',
  'routine',
] as const;

/**
 * The message without the values it may carry: drizzle appends `params: …` to the query,
 * and PostgreSQL ends some messages with the offending value in quotes.
 */
function messageShape(message: string): string {
  const cut = message.indexOf('\nparams:');
  const text = cut === -1 ? message : message.slice(0, cut);
  return text.replace(/: "(?:[^"\\]|\\.)*"$/, ': "…"');
}

/**
 * An error as a log may hold it: type, message and stack with no query parameters, the
 * query's text (its shape, with $1 placeholders), the database's code and constraint, and
 * its causes alike. Parameters, PostgreSQL's `detail` and `where` (which quote the row's
 * values) and anything else the error carries are left out.
 */
export function safeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & Record<string, unknown>;
  const type = e.constructor?.name ?? e.name;
  const message = messageShape(String(e.message ?? ''));
  const frames = String(e.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line));
  const out: Record<string, unknown> = {
    type,
    message,
    stack: [`${e.name}: ${message}`, ...frames].join('\n'),
  };
  if (typeof e.query === 'string') out.query = e.query;
  for (const field of keptFields) {
    if (typeof e[field] === 'string' || typeof e[field] === 'number') out[field] = e[field];
  }
  if (e.cause !== undefined && depth < 5) out.cause = safeError(e.cause, depth + 1);
  if (Array.isArray(e.errors) && depth < 5)
    out.errors = e.errors.slice(0, 5).map((x) => safeError(x, depth + 1));
  return out;
}

/**
 * Structured JSON logs. Errors are logged by shape, never with their query parameters
 * (which hold names, dates of birth, emails). Anything that could carry a secret is redacted
 * by path as well, in case a careless call logs a whole body or header set. `streams`
 * (tests) send the lines elsewhere as well, each at its own level.
 */
export function createLogger(
  level: string,
  streams?: { level: pino.Level; stream: pino.DestinationStream }[],
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'smartcard-ra' },
    serializers: { err: safeError, error: safeError },
    hooks: {
      // `log.error(err)` would take the raw message (with its parameters) as the line's msg.
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (!(first instanceof Error)) return method.apply(this, args);
        const msg = typeof rest[0] === 'string' ? rest : [messageShape(first.message), ...rest];
        return method.apply(this, [{ err: first }, ...msg] as Parameters<typeof method>);
      },
    },
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
  };
  return streams ? pino(options, pino.multistream(streams)) : pino(options);
}
