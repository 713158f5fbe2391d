/**
 * Loads the plugin modules of TESSERA_PLUGIN_DIR at start (API.md §6). Every rule here fails the start with a
 * PluginLoadError naming the file: a plugin problem found at start is cheap to fix, one found at the first
 * request is an outage.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CUSTOM_TOKEN_TYPE_PATTERN, RESERVED_TOKEN_NAMES } from '../engine/types.js';
import {
  SAML_STATEMENT_KINDS,
  type Saml2StatementPlugin,
  type SamlStatementKind,
  type TokenProviderPlugin,
  type TokenValidatorPlugin,
} from './types.js';

export const SAML_PLUGIN_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Built-in SAML statement plugins are named `default-<kind>`; the prefix is theirs alone. */
export const BUILT_IN_SAML_PREFIX = 'default-';
/** A module whose top-level code never settles must not leave the process hanging at start. */
export const DEFAULT_IMPORT_TIMEOUT_MS = 10_000;
/** A Java class name as PingAM configuration names it (JLS §6.7 fully qualified name; `$` for nested classes). */
export const AM_CLASS_NAME_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$/;
const MAX_AM_CLASS_NAMES = 16;

export interface LoadedPluginFile {
  /** Absolute path of the module. */
  file: string;
  /** SHA-256 (hex) of the bytes that were read and then imported. */
  sha256: string;
  /** Labels of the plugins it exports, e.g. `saml2-statement:conditions:one-time-use`, `token-validator:LEGACY_TICKET`. */
  plugins: string[];
}

export interface LoadedPlugins {
  samlPlugins: Saml2StatementPlugin[];
  validators: TokenValidatorPlugin[];
  providers: TokenProviderPlugin[];
  files: LoadedPluginFile[];
}

export interface LoadOptions {
  importTimeoutMs?: number;
}

/** Refuses the start; the message always names the offending file or folder. */
export class PluginLoadError extends Error {
  readonly file: string;
  constructor(file: string, message: string, opts: { cause?: unknown } = {}) {
    super(`Plugin ${file}: ${message}`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'PluginLoadError';
    this.file = file;
  }
}

const GROUP_OR_OTHER_WRITE = 0o022;

/**
 * Throws unless `dir` is a directory that neither group nor others may write: whoever can add a file there
 * can run code inside the STS, with its signing keys.
 */
export async function assertPluginDirSafe(dir: string): Promise<void> {
  const abs = resolve(dir);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    throw new PluginLoadError(abs, `cannot read the plugin folder (${(err as Error).message})`, { cause: err });
  }
  if (!st.isDirectory()) throw new PluginLoadError(abs, 'is not a directory');
  if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw new PluginLoadError(abs, `the plugin folder is writable by group or others (mode ${modeString(st.mode)}); use chmod go-w`);
  }
}

async function assertFileSafe(file: string): Promise<void> {
  // stat follows symlinks, so a linked module (e.g. a Kubernetes ConfigMap mount) is judged by its target.
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    // A dangling symlink or a file removed while loading: still a start failure that names the file.
    throw new PluginLoadError(file, `cannot be read (${(err as Error).message})`, { cause: err });
  }
  if (!st.isFile()) throw new PluginLoadError(file, 'is not a regular file');
  if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw new PluginLoadError(file, `is writable by group or others (mode ${modeString(st.mode)}); use chmod go-w`);
  }
}

function modeString(mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0');
}

/** Whether `.js` files in the folder are ES modules: only when its own package.json says so (Node's rule). */
async function folderIsModuleType(dir: string): Promise<boolean> {
  const pkgPath = join(dir, 'package.json');
  try {
    await stat(pkgPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PluginLoadError(pkgPath, `cannot be read (${(err as Error).message})`, { cause: err });
  }
  // package.json decides how .js files are evaluated, so it is held to the same rules as a module.
  await assertFileSafe(pkgPath);
  let text: string;
  try {
    text = await readFile(pkgPath, 'utf8');
  } catch (err) {
    throw new PluginLoadError(pkgPath, `cannot be read (${(err as Error).message})`, { cause: err });
  }
  try {
    const pkg = JSON.parse(text) as unknown;
    return typeof pkg === 'object' && pkg !== null && (pkg as { type?: unknown }).type === 'module';
  } catch (err) {
    throw new PluginLoadError(pkgPath, `is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

async function moduleFiles(dir: string): Promise<string[]> {
  const jsIsModule = await folderIsModuleType(dir);
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    // Dot files are skipped: editors and macOS (`._name.mjs`) leave them next to real modules.
    .map((e) => e.name)
    .filter((n) => !n.startsWith('.') && (n.endsWith('.mjs') || (jsIsModule && n.endsWith('.js'))))
    .sort(); // a stable order makes logs and duplicate reports reproducible
}

async function importWithTimeout(url: string, file: string, ms: number): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PluginLoadError(file, `did not finish loading within ${ms} ms`)), ms);
  });
  try {
    return (await Promise.race([import(url) as Promise<Record<string, unknown>>, timeout]));
  } finally {
    clearTimeout(timer);
  }
}

type AnyPlugin = Saml2StatementPlugin | TokenValidatorPlugin | TokenProviderPlugin;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 70 ? v.slice(0, 70) + '…' : v);
  return typeof v;
}

/**
 * Checks one exported value and returns a frozen copy whose functions are bound to the original object, so a
 * plugin cannot change its name or token type after the registry indexed it.
 */
function checkPlugin(file: string, index: number, value: unknown): AnyPlugin {
  const at = `plugin #${index}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginLoadError(file, `${at} is ${describe(value)}, not a plugin object`);
  }
  const p = value as Record<string, unknown>;
  if (p.description !== undefined && typeof p.description !== 'string') {
    throw new PluginLoadError(file, `${at}: description must be a string`);
  }
  const description = p.description as string | undefined;
  const amClassNames = checkAmClassNames(file, at, p.amClassNames);
  const am = amClassNames ? { amClassNames } : {};
  switch (p.kind) {
    case 'saml2-statement': {
      if (typeof p.statement !== 'string' || !(SAML_STATEMENT_KINDS as readonly string[]).includes(p.statement)) {
        throw new PluginLoadError(
          file,
          `${at}: statement ${describe(p.statement)} is not one of ${SAML_STATEMENT_KINDS.join(', ')}`,
        );
      }
      if (typeof p.name !== 'string' || !SAML_PLUGIN_NAME_PATTERN.test(p.name)) {
        throw new PluginLoadError(file, `${at}: name ${describe(p.name)} must match ${SAML_PLUGIN_NAME_PATTERN.source}`);
      }
      if (p.name.startsWith(BUILT_IN_SAML_PREFIX)) {
        throw new PluginLoadError(file, `${at}: name "${p.name}" is reserved for built-in plugins (prefix "${BUILT_IN_SAML_PREFIX}")`);
      }
      if (typeof p.provide !== 'function') {
        throw new PluginLoadError(file, `SAML plugin "${p.name}" has no provide() function`);
      }
      const provide = p.provide as Saml2StatementPlugin['provide'];
      return Object.freeze({
        kind: 'saml2-statement',
        statement: p.statement as SamlStatementKind,
        name: p.name,
        ...(description !== undefined ? { description } : {}),
        ...am,
        provide: provide.bind(value),
      } satisfies Saml2StatementPlugin);
    }
    case 'token-validator':
    case 'token-provider': {
      const tokenType = checkTokenType(file, at, p.tokenType);
      if (p.kind === 'token-validator') {
        if (typeof p.validate !== 'function') {
          throw new PluginLoadError(file, `token validator ${tokenType} has no validate() function`);
        }
        const validate = p.validate as TokenValidatorPlugin['validate'];
        return Object.freeze({
          kind: 'token-validator',
          tokenType,
          ...(description !== undefined ? { description } : {}),
          ...am,
          validate: validate.bind(value),
        } satisfies TokenValidatorPlugin);
      }
      if (typeof p.issue !== 'function') {
        throw new PluginLoadError(file, `token provider ${tokenType} has no issue() function`);
      }
      const issue = p.issue as TokenProviderPlugin['issue'];
      return Object.freeze({
        kind: 'token-provider',
        tokenType,
        ...(description !== undefined ? { description } : {}),
        ...am,
        issue: issue.bind(value),
      } satisfies TokenProviderPlugin);
    }
    default:
      throw new PluginLoadError(
        file,
        `${at}: kind ${describe(p.kind)} is not one of saml2-statement, token-validator, token-provider`,
      );
  }
}

/** The optional `amClassNames`: a frozen copy of 1 to 16 distinct Java class names. */
function checkAmClassNames(file: string, at: string, v: unknown): readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_AM_CLASS_NAMES) {
    throw new PluginLoadError(file, `${at}: amClassNames must be a list of 1 to ${MAX_AM_CLASS_NAMES} Java class names`);
  }
  for (const c of v) {
    if (typeof c !== 'string' || c.length > 256 || !AM_CLASS_NAME_PATTERN.test(c)) {
      throw new PluginLoadError(file, `${at}: amClassNames entry ${describe(c)} is not a fully qualified Java class name`);
    }
  }
  if (new Set(v).size !== v.length) throw new PluginLoadError(file, `${at}: amClassNames lists a class twice`);
  return Object.freeze([...(v as string[])]);
}

function checkTokenType(file: string, at: string, t: unknown): string {
  if (typeof t !== 'string' || !CUSTOM_TOKEN_TYPE_PATTERN.test(t)) {
    throw new PluginLoadError(file, `${at}: tokenType ${describe(t)} must match ${CUSTOM_TOKEN_TYPE_PATTERN.source}`);
  }
  if (RESERVED_TOKEN_NAMES.includes(t)) {
    throw new PluginLoadError(file, `${at}: tokenType ${t} is a built-in token type name (${RESERVED_TOKEN_NAMES.join(', ')})`);
  }
  return t;
}

function label(p: AnyPlugin): string {
  return p.kind === 'saml2-statement' ? `${p.kind}:${p.statement}:${p.name}` : `${p.kind}:${p.tokenType}`;
}

/**
 * Loads every plugin module of `dir`. Throws PluginLoadError (the caller should refuse to start) on the first
 * problem; logs one line per file with its SHA-256 so an operator can tell exactly which code is running.
 */
export async function loadPlugins(
  dir: string,
  log: (line: Record<string, unknown>) => void,
  opts: LoadOptions = {},
): Promise<LoadedPlugins> {
  const root = resolve(dir);
  const importTimeoutMs = opts.importTimeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS;
  await assertPluginDirSafe(root);

  const out: LoadedPlugins = { samlPlugins: [], validators: [], providers: [], files: [] };
  // Where each name was first seen, to name both files in a duplicate report.
  const samlNames = new Map<string, string>();
  const validatorTypes = new Map<string, string>();
  const providerTypes = new Map<string, string>();
  // An AM class name must select one plugin: per SAML statement kind, among validators, among providers.
  const amClasses = new Map<string, string>();

  for (const name of await moduleFiles(root)) {
    const file = join(root, name);
    await assertFileSafe(file);

    // Hash the bytes we read, then import the same path with the hash in the URL: the log names the code that
    // was evaluated unless the file is swapped in between (the folder's permissions are what rule that out).
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new PluginLoadError(file, `cannot be read (${(err as Error).message})`, { cause: err });
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const url = `${pathToFileURL(file).href}?sha256=${sha256}`;

    let mod: Record<string, unknown>;
    try {
      mod = await importWithTimeout(url, file, importTimeoutMs);
    } catch (err) {
      if (err instanceof PluginLoadError) throw err;
      throw new PluginLoadError(file, `failed to load: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    if (!('default' in mod) || mod.default === undefined) {
      throw new PluginLoadError(file, 'has no default export (export default a plugin object or an array of them)');
    }
    const exported = Array.isArray(mod.default) ? (mod.default as unknown[]) : [mod.default];
    const plugins = exported.map((v, i) => checkPlugin(file, i, v));

    for (const p of plugins) {
      const role = p.kind === 'saml2-statement' ? `saml2-statement:${p.statement}` : p.kind;
      for (const c of p.amClassNames ?? []) claim(amClasses, `${role} ${c}`, file, `PingAM class ${c} (amClassNames of a ${role} plugin)`);
      if (p.kind === 'saml2-statement') {
        claim(samlNames, p.name, file, `SAML plugin name "${p.name}"`);
        out.samlPlugins.push(p);
      } else if (p.kind === 'token-validator') {
        claim(validatorTypes, p.tokenType, file, `token validator for ${p.tokenType}`);
        out.validators.push(p);
      } else {
        claim(providerTypes, p.tokenType, file, `token provider for ${p.tokenType}`);
        out.providers.push(p);
      }
    }
    const entry = { file, sha256, plugins: plugins.map(label) };
    out.files.push(entry);
    log({ level: 'info', event: 'plugin.loaded', ...entry });
  }
  return out;
}

function claim(seen: Map<string, string>, key: string, file: string, what: string): void {
  const first = seen.get(key);
  if (first !== undefined) {
    const where = first === file ? 'twice in this file' : `also in ${basename(first)} (${first})`;
    throw new PluginLoadError(file, `${what} is defined ${where}`);
  }
  seen.set(key, file);
}
