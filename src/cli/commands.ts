/**
 * The admin commands (API.md §10): `admin reset-password`, `instances list|get|apply|delete`,
 * `keys list|generate|rotate|retire`. Each goes through the service every door uses — the identity service,
 * the publish service, the key store — so a command validates, audits and tells running servers (through the
 * configuration version) exactly as the GraphQL door does.
 */
import { BadUserInputError, ConflictError, TesseraError } from '../engine/errors.js';
import { instanceEndpoints, toPublicInstance } from '../engine/instance-config.js';
import type { GqlType } from '../engine/kind.js';
import type { TokenRegistry } from '../engine/registry.js';
import type { InstanceConfig } from '../engine/types.js';
import { cliActor, parse, readJsonInput, table, UsageError, withCore, writeJson, type Io } from './context.js';
import { COMMAND_USAGE as USAGE } from './usage.js';

// ---------------------------------------------------------------------------------------------- usage texts

// ---------------------------------------------------------------------------------------------- admin
/** The password from standard input: the first line, without its line break. On a terminal, typed without echo. */
async function readPassword(io: Io): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') {
    io.stderr.write('New password: ');
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    return new Promise((resolve, reject) => {
      let typed = '';
      const onData = (chunk: string) => {
        for (const c of chunk) {
          if (c === '\r' || c === '\n') return done();
          if (c === '\u0003') return done(new Error('cancelled'));
          if (c === '\u007f') typed = typed.slice(0, -1);
          else typed += c;
        }
      };
      const done = (err?: Error) => {
        stdin.setRawMode(false);
        stdin.off('data', onData);
        stdin.pause();
        io.stderr.write('\n');
        if (err) reject(err);
        else resolve(typed);
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  }
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  const text = Buffer.concat(chunks).toString('utf8');
  return text.replace(/\r?\n$/, '');
}

export async function adminCommand(args: string[], io: Io): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    if (sub === undefined) throw new UsageError('missing command', USAGE.admin);
    io.stdout.write(USAGE.admin + '\n');
    return;
  }
  if (sub !== 'reset-password') throw new UsageError(`unknown admin command "${sub}"`, USAGE.admin);
  const p = parse(rest, USAGE.admin, {}, { min: 1, max: 1 });
  if (p.help) return void io.stdout.write(USAGE.admin + '\n');
  const username = p.positionals[0]!;
  const password = await readPassword(io);
  await withCore(io, async ({ services }) => {
    // The identity service audits the reset, with the operator as actor.
    const user = await services.identity.resetPassword(username, password, { actor: cliActor() });
    io.stdout.write(`The password of ${user.username} is reset; the user's sessions have ended.\n`);
  });
}

// ---------------------------------------------------------------------------------------------- instances
/** Keeps what the input shape declares: the public view of a section may add read-only members (hasClientSecret). */
function pruneToInput(value: unknown, type: GqlType): unknown {
  if (value === null || value === undefined || typeof type === 'string' || 'enum' in type) return value;
  if ('list' in type) return Array.isArray(value) ? value.map((v) => pruneToInput(v, type.list)) : value;
  if (typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const field = type.fields[k];
    if (field) out[k] = pruneToInput(v, field.type);
  }
  return out;
}

/**
 * An instance as InstanceInput, what `apply` takes back (GitOps): the public view — no secrets — keeping only
 * what the input types declare.
 */
export function instanceInputView(config: InstanceConfig, registry: TokenRegistry): Record<string, unknown> {
  const view = toPublicInstance(config, registry);
  for (const s of registry.sections()) {
    for (const flag of Object.keys(s.topLevelFlags ?? {})) delete view[flag];
    if (view[s.key] !== undefined) view[s.key] = pruneToInput(view[s.key], s.graphql.input);
  }
  return view;
}

export async function instancesCommand(args: string[], io: Io): Promise<void> {
  const [sub, ...rest] = args;
  const usage = USAGE.instances;
  if (sub === undefined) throw new UsageError('missing command', usage);
  if (sub === '--help' || sub === '-h' || sub === 'help') return void io.stdout.write(usage + '\n');
  switch (sub) {
    case 'list': {
      const p = parse(rest, usage, { json: { type: 'boolean' } }, { min: 0, max: 0 });
      if (p.help) return void io.stdout.write(usage + '\n');
      await withCore(io, async ({ services }) => {
        const rows = await services.publish.list();
        if (p.values.json) return writeJson(io, rows.map((r) => instanceInputView(r.config, services.registry)));
        const lines = rows.map((r) => [
          r.name,
          r.config.transforms.map((t) => `${t.customInput ?? t.input}→${t.customOutput ?? t.output}`).join(','),
          r.updatedAt.toISOString(),
          instanceEndpoints(services.config.publicUrl, r.name).rest,
        ]);
        io.stdout.write(table([['NAME', 'TRANSFORMS', 'UPDATED', 'REST'], ...lines]));
      });
      return;
    }
    case 'get': {
      const p = parse(rest, usage, {}, { min: 1, max: 1 });
      if (p.help) return void io.stdout.write(usage + '\n');
      await withCore(io, async ({ services }) => {
        const row = await services.publish.get(p.positionals[0]!);
        if (!row) throw new TesseraError('NOT_FOUND', `Instance ${p.positionals[0]} does not exist.`);
        writeJson(io, instanceInputView(row.config, services.registry));
      });
      return;
    }
    case 'apply': {
      const p = parse(rest, usage, { file: { type: 'string', short: 'f' }, replace: { type: 'boolean' } }, { min: 0, max: 0 });
      if (p.help) return void io.stdout.write(usage + '\n');
      if (typeof p.values.file !== 'string') throw new UsageError('apply needs -f <file>', usage);
      const content = await readJsonInput(p.values.file, io);
      const inputs = Array.isArray(content) ? content : [content];
      if (inputs.length === 0) throw new BadUserInputError('holds an empty list', p.values.file);
      await withCore(io, async ({ services }) => {
        const ctx = { actor: cliActor() };
        for (const [i, input] of inputs.entries()) {
          const name = (input as { name?: unknown } | null)?.name;
          const existing = typeof name === 'string' ? await services.publish.get(name) : null;
          try {
            if (existing && !p.values.replace) throw new ConflictError(`Instance ${name} already exists (use --replace for a full replacement).`);
            const row = existing ? await services.publish.update(existing.name, input, ctx) : await services.publish.publish(input, ctx);
            io.stdout.write(`${existing ? 'replaced' : 'published'} ${row.name}\n`);
          } catch (e) {
            // Name the entry of a list, so that the operator knows which one failed and that those before it stand.
            if (inputs.length > 1 && e instanceof TesseraError) throw new TesseraError(e.code, `[${i}]${typeof name === 'string' ? ` (${name})` : ''}: ${e.message}`);
            throw e;
          }
        }
      });
      return;
    }
    case 'delete': {
      const p = parse(rest, usage, {}, { min: 1, max: 1 });
      if (p.help) return void io.stdout.write(usage + '\n');
      await withCore(io, async ({ services }) => {
        await services.publish.delete(p.positionals[0]!, { actor: cliActor() });
        io.stdout.write(`deleted ${p.positionals[0]}\n`);
      });
      return;
    }
    default:
      throw new UsageError(`unknown instances command "${sub}"`, usage);
  }
}

// ---------------------------------------------------------------------------------------------- keys
export async function keysCommand(args: string[], io: Io): Promise<void> {
  const [sub, ...rest] = args;
  const usage = USAGE.keys;
  if (sub === undefined) throw new UsageError('missing command', usage);
  if (sub === '--help' || sub === '-h' || sub === 'help') return void io.stdout.write(usage + '\n');
  const printKey = (k: { kid: string; algorithm: string; status: string }) => io.stdout.write(`${k.kid}  ${k.algorithm}  ${k.status}\n`);
  switch (sub) {
    case 'list': {
      const p = parse(rest, usage, { json: { type: 'boolean' } }, { min: 0, max: 0 });
      if (p.help) return void io.stdout.write(usage + '\n');
      await withCore(io, async ({ services }) => {
        const keys = await services.keys.list();
        if (p.values.json) return writeJson(io, keys);
        io.stdout.write(table([['KID', 'ALGORITHM', 'SIZE', 'STATUS', 'CREATED'], ...keys.map((k) => [k.kid, k.algorithm, k.keySize, k.status, k.createdAt.toISOString()])]));
      });
      return;
    }
    case 'generate':
    case 'rotate':
    case 'retire': {
      const p = parse(rest, usage, {}, { min: 1, max: 1 });
      if (p.help) return void io.stdout.write(usage + '\n');
      await withCore(io, async ({ services }) => {
        const ctx = { actor: cliActor() };
        const arg = p.positionals[0]!;
        const k = sub === 'generate' ? await services.keys.generate(arg, ctx) : sub === 'rotate' ? await services.keys.rotate(arg, ctx) : await services.keys.retire(arg, ctx);
        printKey(k);
      });
      return;
    }
    default:
      throw new UsageError(`unknown keys command "${sub}"`, usage);
  }
}
