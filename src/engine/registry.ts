/**
 * The token registry: every token kind, built-in or plugin, registers here through the same call, and every
 * door and the engine find kinds, fields, configuration sections and metadata here — lookups, not switches.
 * A duplicate name, alias, section or conflicting GraphQL field throws at start.
 */
import type { ConfigSection, FieldSpec, GqlType, KindMetadata, TokenKind } from './kind.js';

/** Sections and metadata that belong to no token kind: the engine's own policy (token exchange), a door's. */
export interface RegistryExtension {
  readonly name: string;
  readonly sections?: readonly ConfigSection<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly metadata?: KindMetadata;
}
import { CUSTOM, CUSTOM_TOKEN_TYPE_PATTERN } from './types.js';

export class DuplicateRegistrationError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'DuplicateRegistrationError';
  }
}

export class TokenRegistry {
  private readonly kinds = new Map<string, TokenKind>();
  private readonly aliases = new Map<string, TokenKind>();
  private readonly sectionsByKey = new Map<string, { section: ConfigSection; owner: string }>();
  private readonly graphqlFields = new Map<string, { owner: string; type: string }>();
  private readonly extensions: RegistryExtension[] = [];

  /** Registers sections and metadata that no kind owns (after the kinds, so kinds' names come first). */
  registerExtension(ext: RegistryExtension): this {
    for (const s of ext.sections ?? []) {
      const taken = this.sectionsByKey.get(s.key);
      if (taken) throw new DuplicateRegistrationError(`configuration section ${s.key} of ${ext.name} is already registered by ${taken.owner}`);
    }
    for (const s of ext.sections ?? []) this.sectionsByKey.set(s.key, { section: s, owner: ext.name });
    this.extensions.push(ext);
    return this;
  }

  /** Everything that contributes metadata: the kinds, then the extensions. */
  metadataSources(): KindMetadata[] {
    return [...this.all().map((k) => k.metadata), ...this.extensions.map((e) => e.metadata)].filter((m): m is KindMetadata => m !== undefined);
  }

  /** Registers a kind; throws DuplicateRegistrationError when anything it brings is taken. */
  register(kind: TokenKind): this {
    const name = kind.name;
    if (typeof name !== 'string' || !CUSTOM_TOKEN_TYPE_PATTERN.test(name) || name === CUSTOM) {
      throw new DuplicateRegistrationError(`${String(name)} is not a usable token kind name (^[A-Z][A-Z0-9_]{0,31}$, not CUSTOM)`);
    }
    for (const n of [name, ...(kind.aliases ?? [])]) {
      if (this.kinds.has(n) || this.aliases.has(n)) throw new DuplicateRegistrationError(`a token kind named ${n} is already registered`);
    }
    if (!kind.validator && !kind.provider) throw new DuplicateRegistrationError(`token kind ${name} has neither a validator nor a provider`);
    for (const s of kind.sections ?? []) {
      const taken = this.sectionsByKey.get(s.key);
      if (taken) throw new DuplicateRegistrationError(`configuration section ${s.key} of ${name} is already registered by ${taken.owner}`);
    }
    const fields = [...(kind.validator?.fields ?? []).map((f) => ['input', f] as const), ...(kind.provider?.fields ?? []).map((f) => ['output', f] as const)];
    const mine = new Map<string, string>();
    for (const [side, f] of fields) {
      if (!f.graphql) continue;
      const key = `${side}.${f.graphql.name}`;
      const type = describeType(f.graphql.type);
      const other = this.graphqlFields.get(key);
      // Two kinds may read the same GraphQL field (e.g. `audience`) when it has the same type.
      if (other && other.type !== type) {
        throw new DuplicateRegistrationError(`GraphQL field ${key} of ${name} (${type}) conflicts with ${other.owner}'s (${other.type})`);
      }
      mine.set(key, type);
    }
    this.kinds.set(name, kind);
    for (const a of kind.aliases ?? []) this.aliases.set(a, kind);
    for (const s of kind.sections ?? []) this.sectionsByKey.set(s.key, { section: s, owner: name });
    for (const [key, type] of mine) if (!this.graphqlFields.has(key)) this.graphqlFields.set(key, { owner: name, type });
    return this;
  }

  /** Checks what can only be checked once every kind is in: sections that kinds need exist. */
  seal(): this {
    for (const kind of this.kinds.values()) {
      for (const key of [...(kind.validator?.needs ?? []), ...(kind.provider?.needs ?? [])]) {
        if (!this.sectionsByKey.has(key)) throw new DuplicateRegistrationError(`token kind ${kind.name} needs configuration section ${key}, which no kind registers`);
      }
    }
    return this;
  }

  /** A kind by its registry name (not an alias). */
  kind(name: string): TokenKind | undefined {
    return typeof name === 'string' ? this.kinds.get(name) : undefined;
  }

  /** A kind by its name or an alias (REST `token_type`). */
  lookup(name: string): TokenKind | undefined {
    if (typeof name !== 'string') return undefined;
    return this.kinds.get(name) ?? this.aliases.get(name);
  }

  all(): TokenKind[] {
    return [...this.kinds.values()];
  }

  /** Kinds with their own GraphQL TokenType value (the others are reached as CUSTOM + customType). */
  enumerated(): TokenKind[] {
    return this.all().filter(isEnumerated);
  }

  isEnumerated(name: string): boolean {
    const k = this.kind(name);
    return k !== undefined && isEnumerated(k);
  }

  sections(): ConfigSection[] {
    return [...this.sectionsByKey.values()].map((s) => s.section);
  }

  section(key: string): ConfigSection | undefined {
    return this.sectionsByKey.get(key)?.section;
  }

  /** Names of kinds that can be a transform input (they have a validator), for messages. */
  inputNames(): string[] {
    return this.all().filter((k) => k.validator).map((k) => k.name);
  }

  outputNames(): string[] {
    return this.all().filter((k) => k.provider).map((k) => k.name);
  }

  /** The kind whose RFC 8693 token-type URI this is. */
  byTokenTypeUri(uri: string): TokenKind | undefined {
    return this.all().find((k) => k.tokenTypeUri !== undefined && k.tokenTypeUri === uri);
  }
}

function isEnumerated(k: TokenKind): boolean {
  if (k.graphqlEnum !== undefined) return k.graphqlEnum;
  const fields: readonly FieldSpec[] = [...(k.validator?.fields ?? []), ...(k.provider?.fields ?? [])];
  return fields.some((f) => f.graphql !== undefined);
}

function describeType(t: GqlType): string {
  if (typeof t === 'string') return t;
  if ('list' in t) return `[${describeType(t.list)}]`;
  if ('enum' in t) return t.enum;
  return t.object;
}
