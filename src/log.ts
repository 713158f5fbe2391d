/**
 * Structured logging: one JSON object per line on stdout. Callers pass fields, never tokens, passwords or
 * secrets.
 *
 * Lines to stdout are buffered and written together once per turn of the event loop: at the default level
 * every translation logs its audit line, and stdout to a pipe or a file is a synchronous write in Node, so one
 * write per line cost a system call per request on the event loop. The buffer is written out before the
 * process exits (also on an uncaught exception) and whenever it passes 64 KiB; `flushLogs()` writes it at once
 * (before output that must follow the log lines, such as the ready line). What a kill -9 can lose is the
 * current turn's lines; the audit trail in the database is the durable record.
 */
import { writeSync } from 'node:fs';
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

let pending: string[] = [];
let pendingBytes = 0;
let scheduled = false;
let exitHook = false;
const FLUSH_BYTES = 64 * 1024;

/** Writes the buffered stdout lines now. */
export function flushLogs(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  pendingBytes = 0;
  process.stdout.write(text);
}

function flushSyncAtExit(): void {
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  pendingBytes = 0;
  try {
    writeSync(1, text);
  } catch {
    /* stdout closed: nothing to do */
  }
}

/** The default sink: stdout, one write per turn of the event loop (see above). */
export function bufferedStdout(line: string): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', flushSyncAtExit);
  }
  pending.push(line + '\n');
  pendingBytes += line.length + 1;
  if (pendingBytes >= FLUSH_BYTES) flushLogs();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flushLogs);
  }
}

export function createLogger(level: LogLevel | 'silent' = 'info', write: (line: string) => void = bufferedStdout): Logger {
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
