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
/**
 * knex prefixes a driver error with the statement and its values (`insert into "users" (…) values (…) - SQLITE_…`),
 * which may hold password hashes, token hashes or attribute values: the log keeps the statement's kind and
 * table and the driver's own message (after the last " - ", so a value holding " - " cannot reach the log).
 */
const SQL_PREFIX = /^\s*((?:insert\s+into|update|delete\s+from|select|with|create|alter|drop)\b)\s+(?:[\s\S]*?\bfrom\s+|[\s\S]{0,0})?("?[A-Za-z_][A-Za-z0-9_]*"?)?[\s\S]* - ([\s\S]*)$/i;

function withoutStatement(text: string): string {
  const m = SQL_PREFIX.exec(text);
  return m ? `${m[1]!.replace(/\s+/g, ' ').toLowerCase()}${m[2] ? ` ${m[2]}` : ''} … - ${m[3]}` : text;
}

export function describeError(e: unknown): Record<string, unknown> {
  if (e instanceof Error) {
    const detail = withoutStatement(e.message);
    const stack = e.stack?.split('\n').slice(0, 6);
    // The stack's first line repeats the message.
    if (stack && stack.length > 0 && detail !== e.message) stack[0] = `${e.name}: ${detail}`;
    return { error: e.name, detail, stack: stack?.join(' | ') };
  }
  return { error: String(e) };
}
