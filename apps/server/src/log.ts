import { type DestinationStream, type Level, type Logger, pino } from 'pino';

/** Key secrets, access tokens, and bearer credentials of any kind, wherever they appear in text. */
const KEY_SECRET = /kp_[0-9A-Za-z]{20,}/g;
const ACCESS_TOKEN = /eyJ[\w-]*\.[\w-]+\.[\w-]*/g;
const BEARER = /(Bearer\s+)\S+/gi;
/** Fields whose values are secrets whatever they look like. */
const SECRET_FIELD = /authorization|api[-_]?key|secret|token|password|credential|^key$|^value$/i;

/** The one place secrets are taken out of what is logged. */
export function redact(value: unknown, field = ''): unknown {
  if (SECRET_FIELD.test(field) && value !== undefined && value !== null) return '[redacted]';
  if (typeof value === 'string') {
    return value.replace(KEY_SECRET, '[redacted]').replace(ACCESS_TOKEN, '[redacted]').replace(BEARER, '$1[redacted]');
  }
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redact(item, name)]));
  }
  return value;
}

/**
 * Header and field paths pino censors before anything else looks at a line, should a request or
 * its headers ever be logged whole; `redact` above then takes secrets out of every other value.
 */
const REDACTED_PATHS = [
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
];

/**
 * One JSON object per line on stdout, for log collectors: `time`, `level` (by name), `message`,
 * `pid`, `hostname`, then the line's fields; secrets redacted. Written asynchronously, and
 * flushed by `flushLogs` before the process exits.
 */
function createLogger(destination: DestinationStream, level: Level | 'silent' = 'info'): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => redact(fields) as Record<string, unknown>,
      },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

const stdout = pino.destination({ dest: 1, sync: false });

/** The process's logger; its level is set from the configuration once it is read. */
export const logger = createLogger(stdout);

/**
 * The line of each answered request, on the same destination. Its fields are all of the
 * server's making (the route's template, never the path; ids; a status; a duration), so it
 * skips the walk through every value for secrets that the hot path would otherwise pay for.
 */
export const requestLogger = pino(
  {
    level: 'info',
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  stdout,
);

export function setLogLevel(level: Level | 'silent'): void {
  logger.level = level;
  requestLogger.level = level;
}

/** Logs one line at `level`. */
export function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  logger[level](fields, message);
}

/** Writes out what is buffered; call before the process exits. */
export function flushLogs(): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
