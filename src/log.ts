/**
 * Structured logging: one JSON object per line on stdout. Callers pass fields, never tokens, passwords or
 * secrets.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Whether a line of this level would be written (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
}

export function createLogger(level: LogLevel | 'silent' = 'info', write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    enabled: (lvl) => ORDER[lvl] >= min,
  };
}

export const silentLogger: Logger = createLogger('silent');

/** A short description of an unexpected error for the server log (never sent to clients). */
export function describeError(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { error: e.name, detail: e.message, stack: e.stack?.split('\n').slice(0, 6).join(' | ') };
  return { error: String(e) };
}
