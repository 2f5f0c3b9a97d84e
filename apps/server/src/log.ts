type Level = 'info' | 'warn' | 'error';

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

/** One JSON object per line on stdout, for log collectors; secrets redacted. */
export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  const entry = redact({ time: new Date().toISOString(), level, message, ...fields });
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}
