type Level = 'info' | 'warn' | 'error';

/** One JSON object per line on stdout, for log collectors. */
export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
}
