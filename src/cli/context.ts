/**
 * What every admin command shares: argument parsing (node:util parseArgs, strict: an unknown flag is an error
 * with the command's usage), the configuration from the same environment the server reads, the services opened
 * offline on the database (core.ts, migrations applied, no HTTP), and one way to report errors — the typed
 * error's code and message, as the API would give them.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import type { Core } from '../core.js';
import { BadUserInputError, TesseraError } from '../engine/errors.js';
import { createLogger } from '../log.js';

/** Exit statuses: 0 done, 1 the operation failed, 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's own arguments. `--help`/`-h` is accepted everywhere; anything unknown, a missing value or
 * the wrong number of positionals is a UsageError carrying the usage text.
 */
export function parse<O extends Options>(
  args: string[],
  usage: string,
  options: O,
  positionals: { min: number; max: number },
): { values: Record<string, string | boolean | undefined>; positionals: string[]; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, '.'), usage);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { values, positionals: parsed.positionals, help: true };
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError('missing argument', usage);
  if (n > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"`, usage);
  return { values, positionals: parsed.positionals, help: false };
}

/** Who the audit trail names for a command: the operating-system user running it. */
export function cliActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): the audit trail still says it came from the command line.
  }
  return `cli:${name}`.slice(0, 128);
}

export function loadCliConfig(io: Io): Config {
  return loadConfig(io.env);
}

/**
 * Opens the services on the configured database, applies pending migrations (a command may be the first thing
 * run on a new database), runs `fn` and closes. Logs go to standard error at warn and above, so standard
 * output holds only the command's result.
 */
export async function withCore<T>(io: Io, fn: (core: Core) => Promise<T>): Promise<T> {
  const config = loadCliConfig(io);
  const level = config.logLevel === 'debug' || config.logLevel === 'silent' || config.logLevel === 'error' ? config.logLevel : 'warn';
  const log = createLogger(level, (line) => io.stderr.write(line + '\n'));
  const { openCore } = await import('../core.js');
  const core = await openCore(config, { log });
  try {
    await core.migrate();
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** The message for an error a command ends with, and its exit status. */
export function describeFailure(e: unknown): { text: string; status: number } {
  if (e instanceof UsageError) return { text: `tessera: ${e.message}\n\n${e.usage}`, status: EXIT.usage };
  const name = (e as Error)?.name;
  // Matched by name: importing their modules would load the database driver and crypto for every --help.
  if (e instanceof ConfigError || name === 'DatabaseConfigError') return { text: `tessera: ${(e as Error).message}`, status: EXIT.usage };
  if (e instanceof TesseraError) {
    // The message the API gives for the same failure (a BAD_USER_INPUT names its field); INTERNAL says no more.
    const detail = e.code === 'INTERNAL' ? 'an internal error occurred' : e.message;
    return { text: `tessera: ${e.code}: ${detail}`, status: EXIT.failed };
  }
  if (name === 'StartupError' || name === 'MasterKeyError' || name === 'PluginLoadError') {
    return { text: `tessera: ${(e as Error).message}`, status: EXIT.failed };
  }
  return { text: `tessera: ${(e as Error)?.message ?? String(e)}`, status: EXIT.failed };
}

/** A JSON file named on the command line, or standard input for "-"; BAD_USER_INPUT naming the file otherwise. */
export async function readJsonInput(file: string, io: Io): Promise<unknown> {
  let text: string;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new BadUserInputError(`cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadUserInputError(`is not JSON: ${(e as Error).message}`, file === '-' ? 'standard input' : file);
  }
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Fixed-width columns for listings. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
