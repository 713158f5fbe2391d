/**
 * Publish-time validation of an STS instance (API.md §3 InstanceInput → InstanceConfig), assembled from the
 * registry: the core fields are checked here; every other section is parsed and checked by the token kind that
 * owns it (engine/kind.ts ConfigSection), with the same code its validator or provider uses at run time.
 *
 * Config is resolved once and rejected early: every mistake a user can make fails at publish or update with a
 * BAD_USER_INPUT naming the field (`input.saml2.spEntityId`, `input.transforms[2].output`), never at the first
 * translate.
 *
 * Choices where the contract is silent (also in the README):
 * - A section no transform needs (e.g. `saml2` without a SAML2 output) is accepted and fully validated, so an
 *   operator can stage configuration before enabling a transform.
 * - `callerRoles: []` is refused: "nobody" and "anyone" are both plausible readings, so the caller must say
 *   which by giving roles or omitting the field.
 */
import { absent, fail, get, object, onlyKeys, optionalBoolean, optionalString, quote, requiredString, stringList } from './config-toolkit.js';
import type { TokenKind } from './kind.js';
import { parseRealm, realmPath } from './realm.js';
import type { TokenRegistry } from './registry.js';
import { CUSTOM, CUSTOM_TOKEN_TYPE_PATTERN, RESERVED_TOKEN_NAMES, transformKinds, type InstanceConfig, type TransformConfig } from './types.js';

export interface ValidateOptions {
  registry: TokenRegistry;
  /** On update: omitted write-only secrets keep their value. */
  existing?: InstanceConfig;
  /** On update: the name in the URL/argument, which the input must repeat. */
  nameMustEqual?: string;
}

export const INSTANCE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const CORE_KEYS = ['name', 'transforms', 'persistIssuedTokens', 'callerRoles', 'realm'] as const;
const MAX_TRANSFORMS = 64;

function kindNames(kinds: TokenKind[]): string {
  const names = kinds.map((k) => k.name);
  if (!names.includes(CUSTOM)) names.push(CUSTOM);
  return names.join(', ');
}

function validateTransforms(v: unknown, registry: TokenRegistry): TransformConfig[] {
  const field = 'input.transforms';
  if (absent(v)) fail(field, 'is required.');
  if (!Array.isArray(v)) fail(field, 'must be a list of transforms.');
  if (v.length === 0) fail(field, 'must hold at least one transform.');
  if (v.length > MAX_TRANSFORMS) fail(field, `must hold at most ${MAX_TRANSFORMS} transforms.`);
  const inputs = registry.enumerated().filter((k) => k.validator);
  const outputs = registry.enumerated().filter((k) => k.provider);
  const seen = new Set<string>();
  return v.map((item, i) => {
    const f = `${field}[${i}]`;
    const t = object(item, f);
    onlyKeys(t, ['input', 'output', 'invalidateInterimSession', 'customInput', 'customOutput'], f);
    const input = requiredString(t, 'input', `${f}.input`);
    const output = requiredString(t, 'output', `${f}.output`);
    const customInput = optionalString(t, 'customInput', `${f}.customInput`, { max: 64 });
    const customOutput = optionalString(t, 'customOutput', `${f}.customOutput`, { max: 64 });
    side('input', input, customInput, `${f}.input`, `${f}.customInput`, registry, inputs);
    side('output', output, customOutput, `${f}.output`, `${f}.customOutput`, registry, outputs);
    const out: TransformConfig = {
      input,
      output,
      invalidateInterimSession: optionalBoolean(t, 'invalidateInterimSession', `${f}.invalidateInterimSession`, false),
    };
    if (customInput !== undefined) out.customInput = customInput;
    if (customOutput !== undefined) out.customOutput = customOutput;
    const k = transformKinds(out);
    const pair = `${k.input}→${k.output}`;
    if (seen.has(pair)) fail(f, `duplicates the transform ${pair}; each input→output pair appears once.`);
    seen.add(pair);
    return out;
  });
}

/** One side of a transform: an enumerated kind that can play it, or CUSTOM naming a plugin kind that can. */
function side(
  which: 'input' | 'output',
  type: string,
  custom: string | undefined,
  typeField: string,
  customField: string,
  registry: TokenRegistry,
  candidates: TokenKind[],
): void {
  const role = which === 'input' ? 'validator' : 'provider';
  if (type === CUSTOM) {
    if (custom === undefined) fail(customField, `is required when ${which} is CUSTOM: name the custom token type.`);
    if (!CUSTOM_TOKEN_TYPE_PATTERN.test(custom) || RESERVED_TOKEN_NAMES.includes(custom) || registry.isEnumerated(custom)) {
      fail(customField, `${quote(custom)} is not a custom token type name (^[A-Z][A-Z0-9_]{0,31}$, not a built-in name).`);
    }
    const kind = registry.kind(custom);
    if (!(which === 'input' ? kind?.validator : kind?.provider)) fail(customField, `no custom token ${role} for ${quote(custom)} is loaded.`);
    return;
  }
  if (custom !== undefined) fail(customField, `is only allowed when ${which} is CUSTOM.`);
  const kind = registry.kind(type);
  if (!kind || !registry.isEnumerated(type)) {
    fail(typeField, `unknown ${which} type ${quote(type)}; one of ${kindNames(candidates)}.`);
  }
  if (!(which === 'input' ? kind.validator : kind.provider)) {
    fail(typeField, `${type} cannot be a transform ${which}: no ${role} is registered for it; one of ${kindNames(candidates)}.`);
  }
}

/**
 * Validates an `InstanceInput` (GraphQL input or the same shape as JSON) and resolves defaults, section by
 * section; then runs each section's checks against the running services. Throws BadUserInputError naming the
 * field on the first problem found.
 */
export async function validateInstanceInput(input: unknown, opts: ValidateOptions): Promise<InstanceConfig> {
  const config = parseInstanceInput(input, opts);
  for (const section of opts.registry.sections()) {
    const value = config[section.key];
    if (value !== undefined && section.check) await section.check(value, { instanceName: config.name });
  }
  return config;
}

/** The synchronous part of validateInstanceInput: shapes, values and defaults, without the services. */
export function parseInstanceInput(input: unknown, opts: ValidateOptions): InstanceConfig {
  const { registry } = opts;
  const root = object(input, 'input');
  const sections = registry.sections();
  onlyKeys(root, [...CORE_KEYS, ...sections.map((s) => s.key)], 'input');

  const name = requiredString(root, 'name', 'input.name', { max: 63 });
  if (!INSTANCE_NAME_PATTERN.test(name)) {
    fail('input.name', 'must be 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit.');
  }
  if (opts.nameMustEqual !== undefined && name !== opts.nameMustEqual) {
    fail('input.name', `must equal the instance being updated (${quote(opts.nameMustEqual)}); an instance cannot be renamed.`);
  }

  const transforms = validateTransforms(get(root, 'transforms'), registry);
  const config: InstanceConfig = {
    name,
    transforms,
    persistIssuedTokens: optionalBoolean(root, 'persistIssuedTokens', 'input.persistIssuedTokens', true),
  };

  const roles = get(root, 'callerRoles');
  if (!absent(roles)) {
    if (Array.isArray(roles) && roles.length === 0) {
      fail('input.callerRoles', 'must hold at least one role; omit it to let any caller use the instance.');
    }
    config.callerRoles = stringList(roles, 'input.callerRoles');
  }
  const realm = parseRealm(get(root, 'realm'), 'input.realm');
  if (realm !== undefined) config.realm = realm;

  for (const section of sections) {
    const raw = get(root, section.key);
    if (absent(raw)) continue;
    const value = section.parse(raw, { existing: opts.existing?.[section.key], instanceName: name });
    if (value !== undefined) config[section.key] = value;
  }

  // Each section a transform needs must be there; named after the first transform that needs it.
  transforms.forEach((t, i) => {
    const f = `input.transforms[${i}]`;
    const kinds = transformKinds(t);
    const needs: Array<[string, string]> = [
      ...(registry.kind(kinds.input)?.validator?.needs ?? []).map((key) => [key, `${f} takes ${kinds.input} input`] as [string, string]),
      ...(registry.kind(kinds.output)?.provider?.needs ?? []).map((key) => [key, `${f} outputs ${kinds.output}`] as [string, string]),
    ];
    for (const [key, why] of needs) {
      if (config[key] === undefined) fail(`input.${key}`, `${registry.section(key)?.missingMessage ?? 'is required'}: ${why}.`);
    }
  });
  return config;
}

/** An instance as the API returns it: each section's public view (write-only secrets replaced by flags). */
export function toPublicInstance(config: InstanceConfig, registry: TokenRegistry): Record<string, unknown> {
  const view: Record<string, unknown> = {
    name: config.name,
    transforms: structuredClone(config.transforms),
    persistIssuedTokens: config.persistIssuedTokens,
  };
  if (config.callerRoles) view.callerRoles = [...config.callerRoles];
  if (config.realm !== undefined) view.realm = config.realm;
  for (const section of registry.sections()) {
    const value = config[section.key];
    for (const [flag, spec] of Object.entries(section.topLevelFlags ?? {})) view[flag] = value !== undefined && spec.of(value);
    if (value === undefined) continue;
    view[section.key] = section.publicView ? section.publicView(value, { instanceName: config.name }) : structuredClone(value);
  }
  return view;
}

export interface InstanceEndpoints {
  rest: string;
  jwks: string;
  openidConfiguration: string;
  samlMetadata: string;
  samlSpMetadata: string;
}

/** The REST STS path of an instance: `/rest-sts/<realm path>/<name>`, as PingAM builds it (engine/realm.ts). */
export function restStsPath(name: string, realm?: string): string {
  const r = realmPath(realm);
  return `/rest-sts/${r === '' ? '' : `${r}/`}${encodeURIComponent(name)}`;
}

export function instanceEndpoints(publicUrl: string, name: string, realm?: string): InstanceEndpoints {
  const base = publicUrl.replace(/\/+$/, '');
  const n = encodeURIComponent(name);
  return {
    rest: `${base}${restStsPath(name, realm)}`,
    jwks: `${base}/sts/${n}/jwks.json`,
    openidConfiguration: `${base}/sts/${n}/.well-known/openid-configuration`,
    samlMetadata: `${base}/sts/${n}/saml-metadata.xml`,
    samlSpMetadata: `${base}/sts/${n}/saml-sp-metadata.xml`,
  };
}
