/**
 * PingAM's publish-service JSON ↔ Tessera's InstanceInput (AM-STS-NOTES §4, API.md §9): a pure mapping. It knows
 * AM's encodings — `instance_state` sections, strings for booleans and numbers, `IN|OUT|invalidate` and
 * `NAME|class` pipe strings, class names — and nothing of what a valid instance is: the result goes to the
 * publish service, which validates it as it does for every door, and its errors come back here to be renamed
 * after AM's fields (`toAmError`).
 *
 * Mapping rules where AM and Tessera differ (README "Migrating from PingAM"):
 * - What has no Tessera equivalent and no effect on tokens — keystore files, aliases and passwords (Tessera signs
 *   with its own key store), authentication target mappings (Tessera validates each input itself), the
 *   encryption strength (implied by the algorithm URI), `oidc-public-key-reference-type` (Tessera always sends a
 *   `kid` and publishes a JWKS) — and any field this mapping does not know is accepted and listed in `ignored`.
 * - What Tessera needs and AM keeps elsewhere comes in `tessera-<field>` extension fields, named after the
 *   Tessera field in kebab case: at the top of `instance_state` for `oidcTrust`, `x509Trust`, `callerRoles` and
 *   every other section (`tessera-oidc-trust`, `tessera-x509-trust`, …), inside `saml2-config` and
 *   `oidc-id-token-config` for the settings AM makes global or keeps in its keystore (`tessera-signature-algorithm`,
 *   `tessera-signing-key-id`, `tessera-sp-encryption-certificate`, …). Their values are in Tessera's own shape.
 * - A class name (custom validators and providers, SAML statement providers and mappers) selects the loaded
 *   plugin that lists it in `amClassNames`, else the one whose name (token type, plugin name) is the same; AM's
 *   own default classes select the built-in. A custom token name stands for the Tessera type its class selects.
 * - AM's attribute mapper and authn-context mapper classes select the attributeStatements and
 *   authenticationStatements plugins: in Tessera one plugin plays both AM parts, so when the provider class is
 *   given too, both must select the same plugin.
 * - Reads return AM's shape without secrets (a PUT that omits a secret keeps it, as updateInstance does).
 */
import { BadUserInputError, TesseraError } from '../engine/errors.js';
import { parseRealm, realmName } from '../engine/realm.js';

export const CLIENT_SDK = 'invocation_context_client_sdk';
export const VIEW_BEAN = 'invocation_context_view_bean';
/** Tessera's name for AM's OPENAM token type (an AM session; in Tessera, a Tessera session). */
const AM_TO_TESSERA_TYPE: Readonly<Record<string, string>> = { OPENAM: 'SESSION' };
const TESSERA_TO_AM_TYPE: Readonly<Record<string, string>> = { SESSION: 'OPENAM' };
/** Tessera's fields that AM has no place for: `tessera-<the field in kebab case>`. */
const EXTENSION_PREFIX = 'tessera-';

export interface PluginSide {
  amClassNames: readonly string[];
}

/** A plugin kind (a registry kind with `builtIn: false`). */
export interface CustomKindRef {
  name: string;
  validator?: PluginSide;
  provider?: PluginSide;
}

export interface SamlPluginRef {
  name: string;
  statement: string;
  builtIn: boolean;
  amClassNames?: readonly string[];
}

/** What the mapping needs to know of the running server. */
export interface AmCatalog {
  /** Every registered configuration section key (saml2, oidc, oidcTrust, x509Trust, …). */
  sectionKeys: readonly string[];
  customKinds: readonly CustomKindRef[];
  samlPlugins: readonly SamlPluginRef[];
}

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// Field origins: which AM field a Tessera field came from, so that the publish service's errors name AM's field.
// ---------------------------------------------------------------------------------------------------------------
export class FieldOrigins {
  private readonly entries: Array<{ tessera: string; am: string; mode: 'append' | 'absorb' | 'extension' }> = [];

  /**
   * `absorb`: a Tessera sub-field has no AM counterpart below `am` (a pipe string, an AM object);
   * `extension`: the section's other fields are AM's `tessera-<kebab-case>` fields.
   */
  set(tessera: string, am: string, mode: 'append' | 'absorb' | 'extension' = 'append'): void {
    this.entries.push({ tessera, am, mode });
  }

  /** The AM path of a Tessera path: the longest known prefix, with the rest appended, absorbed or renamed. */
  translate(field: string): string {
    let best: (typeof this.entries)[number] | undefined;
    for (const e of this.entries) {
      const hit = field === e.tessera || field.startsWith(`${e.tessera}.`) || field.startsWith(`${e.tessera}[`);
      if (hit && (!best || e.tessera.length > best.tessera.length)) best = e;
    }
    if (!best) return field;
    const rest = field.slice(best.tessera.length);
    if (best.mode === 'absorb') return best.am;
    const m = best.mode === 'extension' ? /^\.([A-Za-z0-9]+)(.*)$/.exec(rest) : null;
    return m ? `${best.am}.${EXTENSION_PREFIX}${kebab(m[1]!)}${m[2]}` : best.am + rest;
  }
}

export interface FromAmResult {
  /** The InstanceInput, as JSON (the shape GraphQL's publishInstance takes). */
  input: Json;
  /** AM fields accepted without effect, by path (`instance_state.saml2-config.saml2-keystore-filename`). */
  ignored: string[];
  /** AM custom token names that stand for a Tessera type of another name (`{"CUSTOM": "ACME_TICKET"}`). */
  customTypes: Record<string, string>;
  origins: FieldOrigins;
}

// ---------------------------------------------------------------------------------------------------------------
// AM's encodings
// ---------------------------------------------------------------------------------------------------------------
function fail(field: string, message: string): never {
  throw new BadUserInputError(message, field);
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own properties only: a key like `constructor` never resolves to Object.prototype. */
function own(o: Json, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** AM writes an unset optional value as null, and its console as an empty string. */
function unset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** Something worth telling the user was ignored: not null, empty, or an empty list or object. */
function meaningful(v: unknown): boolean {
  if (unset(v)) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return true;
}

function section(v: unknown, field: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) fail(field, 'must be a JSON object.');
  return v;
}

/** AM's booleans are the strings "true" and "false" (Boolean.valueOf, so any case); JSON booleans pass too. */
function amBoolean(v: unknown, field: string): boolean | undefined {
  if (unset(v)) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  fail(field, 'must be "true" or "false".');
}

/** AM's numbers are strings ("600"); JSON numbers pass too. */
function amInteger(v: unknown, field: string): number | undefined {
  if (unset(v)) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*\d{1,9}\s*$/.test(v)) return Number(v.trim());
  fail(field, 'must be a whole number (AM writes it as a string, e.g. "600").');
}

function amString(v: unknown, field: string): string | undefined {
  if (unset(v)) return undefined;
  if (typeof v !== 'string') fail(field, 'must be a string.');
  return v;
}

function amStringList(v: unknown, field: string): string[] | undefined {
  if (unset(v)) return undefined;
  // AM's SMS form holds single values as one-element sets; a lone string is the same list of one.
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) fail(field, 'must be a list of strings.');
  return [...(list as string[])];
}

function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function camel(kebabName: string): string {
  return kebabName.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}


// ---------------------------------------------------------------------------------------------------------------
// Section tables: AM field ↔ Tessera field, and what AM has that Tessera ignores.
// ---------------------------------------------------------------------------------------------------------------
type Codec = 'string' | 'boolean' | 'integer' | 'stringList' | 'map';

interface FieldMap {
  am: string;
  tessera: string;
  codec: Codec;
}

const SAML2_FIELDS: readonly FieldMap[] = [
  { am: 'issuer-name', tessera: 'issuer', codec: 'string' },
  { am: 'saml2-sp-entity-id', tessera: 'spEntityId', codec: 'string' },
  { am: 'saml2-sp-acs-url', tessera: 'spAcsUrl', codec: 'string' },
  { am: 'saml2-name-id-format', tessera: 'nameIdFormat', codec: 'string' },
  { am: 'saml2-attribute-map', tessera: 'attributeMap', codec: 'map' },
  { am: 'saml2-token-lifetime-seconds', tessera: 'lifetimeSeconds', codec: 'integer' },
  { am: 'saml2-sign-assertion', tessera: 'signAssertion', codec: 'boolean' },
  { am: 'saml2-encrypt-assertion', tessera: 'encryptAssertion', codec: 'boolean' },
  { am: 'saml2-encrypt-nameid', tessera: 'encryptNameId', codec: 'boolean' },
  { am: 'saml2-encrypt-attributes', tessera: 'encryptAttributes', codec: 'boolean' },
  { am: 'saml2-encryption-algorithm', tessera: 'dataEncryptionAlgorithm', codec: 'string' },
  // AM 7.2+ (Amster's RESTSecurityTokenServices schema); upstream OpenAM hard-codes RSA v1.5.
  { am: 'saml2-key-transport-algorithm', tessera: 'keyTransportAlgorithm', codec: 'string' },
];

/** Accepted without effect: Tessera signs and decrypts with its own key store; the strength follows the URI. */
const SAML2_IGNORED = [
  'saml2-keystore-filename',
  'saml2-keystore-password',
  'saml2-signature-key-alias',
  'saml2-signature-key-password',
  'saml2-encryption-key-alias',
  'saml2-encryption-algorithm-strength',
];

const STATEMENTS = 'org.forgerock.openam.sts.tokengeneration.saml2.statements';

interface PluginField {
  am: string;
  statement: string;
  /** AM's own class for this part: the built-in. */
  amDefault: string;
  /** A mapper (AM's second pluggable point for the same statement). */
  mapper?: boolean;
}

const SAML2_PLUGIN_FIELDS: readonly PluginField[] = [
  { am: 'saml2-custom-conditions-provider-class-name', statement: 'conditions', amDefault: `${STATEMENTS}.DefaultConditionsProvider` },
  { am: 'saml2-custom-subject-provider-class-name', statement: 'subject', amDefault: `${STATEMENTS}.DefaultSubjectProvider` },
  {
    am: 'saml2-custom-authentication-statements-provider-class-name',
    statement: 'authenticationStatements',
    amDefault: `${STATEMENTS}.DefaultAuthenticationStatementsProvider`,
  },
  {
    am: 'saml2-custom-attribute-statements-provider-class-name',
    statement: 'attributeStatements',
    amDefault: `${STATEMENTS}.DefaultAttributeStatementsProvider`,
  },
  {
    am: 'saml2-custom-authz-decision-statements-provider-class-name',
    statement: 'authorizationDecisionStatements',
    amDefault: `${STATEMENTS}.DefaultAuthzDecisionStatementsProvider`,
  },
  // AM hands the attribute mapper to the AttributeStatementsProvider (AM-STS-NOTES §7).
  { am: 'saml2-custom-attribute-mapper-class-name', statement: 'attributeStatements', amDefault: `${STATEMENTS}.DefaultAttributeMapper`, mapper: true },
  // The REST STS's Saml2JsonTokenAuthnContextMapper picks the AuthnContextClassRef of the AuthnStatement.
  {
    am: 'saml2-custom-authn-context-mapper-class-name',
    statement: 'authenticationStatements',
    amDefault: 'org.forgerock.openam.sts.rest.token.provider.saml.Saml2JsonTokenAuthnContextMapperImpl',
    mapper: true,
  },
];

const OIDC_FIELDS: readonly FieldMap[] = [
  { am: 'oidc-issuer', tessera: 'issuer', codec: 'string' },
  { am: 'oidc-audience', tessera: 'audience', codec: 'stringList' },
  { am: 'oidc-authorized-party', tessera: 'authorizedParty', codec: 'string' },
  { am: 'oidc-token-lifetime-seconds', tessera: 'lifetimeSeconds', codec: 'integer' },
  { am: 'oidc-signature-algorithm', tessera: 'signatureAlgorithm', codec: 'string' },
  { am: 'oidc-client-secret', tessera: 'clientSecret', codec: 'string' },
  { am: 'oidc-claim-map', tessera: 'claimMap', codec: 'map' },
];

const OIDC_IGNORED = [
  'oidc-keystore-location',
  'oidc-keystore-password',
  'oidc-signature-key-alias',
  'oidc-signature-key-password',
  // Tessera always names the key by `kid` and publishes /sts/<instance>/jwks.json; it never embeds a `jwk`.
  'oidc-public-key-reference-type',
];

/** AM's OIDC mappers: Tessera has no plugin point for them, so only AM's defaults (the built-in) are accepted. */
const OIDC_MAPPERS: ReadonlyArray<{ am: string; amDefault: string }> = [
  { am: 'oidc-custom-claim-mapper-class', amDefault: 'org.forgerock.openam.sts.tokengeneration.oidc.DefaultOpenIdConnectTokenClaimMapper' },
  {
    am: 'oidc-custom-authn-context-mapper-class',
    amDefault: 'org.forgerock.openam.sts.rest.token.provider.oidc.DefaultOpenIdConnectTokenAuthnContextMapper',
  },
  {
    am: 'oidc-custom-authn-method-references-mapper-class',
    amDefault: 'org.forgerock.openam.sts.rest.token.provider.oidc.DefaultOpenIdConnectTokenAuthMethodReferencesMapper',
  },
];

const DEPLOYMENT = 'deployment-config';
const OFFLOAD_HEADER = 'deployment-offloaded-two-way-tls-header-key';
const OFFLOAD_HOSTS = 'deployment-tls-offload-engine-hosts';
/** Tessera core fields and the sections AM fields carry: no `tessera-` field may set them a second way. */
const AM_OWNED = ['name', 'realm', 'transforms', 'persistIssuedTokens', 'saml2', 'oidc'];

// ---------------------------------------------------------------------------------------------------------------
// AM → Tessera
// ---------------------------------------------------------------------------------------------------------------
class Reader {
  readonly ignored: string[] = [];
  readonly origins = new FieldOrigins();
  readonly customTypes: Record<string, string> = {};

  constructor(readonly catalog: AmCatalog) {}

  ignore(path: string, value: unknown): void {
    if (meaningful(value)) this.ignored.push(path);
  }

  /** A value by codec, named by its AM path. */
  decode(codec: Codec, v: unknown, path: string): unknown {
    switch (codec) {
      case 'string':
        return amString(v, path);
      case 'boolean':
        return amBoolean(v, path);
      case 'integer':
        return amInteger(v, path);
      case 'stringList':
        return amStringList(v, path);
      case 'map':
        if (unset(v)) return undefined;
        if (!isObj(v)) fail(path, 'must be a JSON object of strings.');
        return { ...v };
    }
  }

  /**
   * A mapped section: the table's fields, `tessera-*` extensions for the section's other keys, the ignored
   * ones listed, anything else listed as unknown.
   */
  mapped(s: Json, amSection: string, tesseraSection: string, table: readonly FieldMap[], ignoredKeys: readonly string[], special: readonly string[]): Json {
    const out: Json = {};
    const path = `instance_state.${amSection}`;
    this.origins.set(`input.${tesseraSection}`, path, 'extension');
    const mappedTessera = new Set(table.map((f) => f.tessera));
    for (const f of table) this.origins.set(`input.${tesseraSection}.${f.tessera}`, `${path}.${f.am}`);
    for (const [key, value] of Object.entries(s)) {
      const f = table.find((x) => x.am === key);
      if (f) {
        const decoded = this.decode(f.codec, value, `${path}.${key}`);
        if (decoded !== undefined) out[f.tessera] = decoded;
      } else if (key.startsWith(EXTENSION_PREFIX)) {
        const tessera = camel(key.slice(EXTENSION_PREFIX.length));
        if (mappedTessera.has(tessera) || tessera === 'plugins') {
          const am = table.find((x) => x.tessera === tessera)?.am ?? 'the saml2-custom-*-class-name fields';
          fail(`${path}.${key}`, `sets ${tessera}, which comes from ${am} here.`);
        }
        this.origins.set(`input.${tesseraSection}.${tessera}`, `${path}.${key}`);
        if (value !== null && value !== undefined) out[tessera] = value;
      } else if (ignoredKeys.includes(key) || !special.includes(key)) {
        // Known to have no effect in Tessera (keystores, aliases, …) or unknown to it: accepted and listed.
        this.ignore(`${path}.${key}`, value);
      }
    }
    return out;
  }

  /** The plugin a class name selects: the one that lists it in amClassNames, else the one of that name. */
  samlPlugin(className: string, statement: string, path: string): string {
    const candidates = this.catalog.samlPlugins.filter((p) => p.statement === statement);
    const hit = candidates.find((p) => p.amClassNames?.includes(className)) ?? candidates.find((p) => p.name === className);
    if (hit) return hit.name;
    const loaded = candidates.filter((p) => !p.builtIn).map((p) => (p.amClassNames?.length ? `${p.name} (${p.amClassNames.join(', ')})` : p.name));
    fail(
      path,
      `no loaded ${statement} plugin stands in for ${className}: none lists it in amClassNames or is named so; ` +
        (loaded.length ? `loaded ${statement} plugins: ${loaded.join('; ')}.` : `no ${statement} plugin is loaded (TESSERA_PLUGIN_DIR, docs/plugins.md).`),
    );
  }

  saml2(s: Json): Json {
    const path = 'instance_state.saml2-config';
    const out = this.mapped(s, 'saml2-config', 'saml2', SAML2_FIELDS, SAML2_IGNORED, SAML2_PLUGIN_FIELDS.map((f) => f.am));
    const attrs = out.attributeMap as Json | undefined;
    for (const [key, value] of Object.entries(attrs ?? {})) {
      // DefaultAttributeMapper's static values ("x") and ;binary have no counterpart in Tessera's attributeMap,
      // which names user attributes only; taken as names they would silently map to nothing.
      if (typeof value === 'string' && (/^".*"$/.test(value.trim()) || /;binary$/.test(value.trim()))) {
        fail(
          `${path}.saml2-attribute-map.${key.slice(0, 64)}`,
          'AM\'s static ("value") and ;binary forms have no Tessera equivalent: map a user attribute, or add the value with an attributeStatements plugin (docs/plugins.md).',
        );
      }
    }
    const plugins: Json = {};
    const from: Record<string, string> = {};
    for (const f of SAML2_PLUGIN_FIELDS) {
      const fieldPath = `${path}.${f.am}`;
      const className = amString(own(s, f.am), fieldPath);
      if (!f.mapper) this.origins.set(`input.saml2.plugins.${f.statement}`, fieldPath);
      if (className === undefined || className === f.amDefault) continue;
      const name = this.samlPlugin(className, f.statement, fieldPath);
      const earlier = plugins[f.statement];
      if (earlier !== undefined && earlier !== name) {
        fail(fieldPath, `selects the ${f.statement} plugin ${name}, but ${from[f.statement]} selects ${String(earlier)}: in Tessera one ${f.statement} plugin plays both AM parts.`);
      }
      plugins[f.statement] = name;
      from[f.statement] ??= f.am;
    }
    if (Object.keys(plugins).length > 0) out.plugins = plugins;
    return out;
  }

  oidc(s: Json): Json {
    const path = 'instance_state.oidc-id-token-config';
    const out = this.mapped(s, 'oidc-id-token-config', 'oidc', OIDC_FIELDS, OIDC_IGNORED, OIDC_MAPPERS.map((m) => m.am));
    for (const m of OIDC_MAPPERS) {
      const className = amString(own(s, m.am), `${path}.${m.am}`);
      if (className !== undefined && className !== m.amDefault) {
        fail(
          `${path}.${m.am}`,
          `Tessera has no plugin point for ${m.am.replace(/^oidc-custom-|-class$/g, '')}s, so ${className} cannot be honoured: map claims with oidc-claim-map and remove the class (null); acr and amr come from how the subject authenticated.`,
        );
      }
    }
    return out;
  }

  /** custom-token-validators / -providers: AM custom token name → Tessera type, by class name, else by name. */
  customOperations(v: unknown, list: 'custom-token-validators' | 'custom-token-providers'): Array<{ amName: string; className: string; path: string }> {
    const path = `instance_state.${list}`;
    if (unset(v)) return [];
    if (!Array.isArray(v)) fail(path, 'must be a list of "NAME|class" strings or {"customTokenName", "customOperationClassName"} objects.');
    const seen = new Set<string>();
    return v.map((item, i) => {
      const p = `${path}[${i}]`;
      let amName: unknown;
      let className: unknown;
      if (typeof item === 'string') {
        // CustomTokenOperation.fromSMSString: exactly two pipe-separated tokens.
        const parts = item.split('|');
        if (parts.length !== 2) fail(p, `${JSON.stringify(item.slice(0, 80))} must be "NAME|fully.qualified.Class".`);
        [amName, className] = parts;
      } else if (isObj(item)) {
        amName = own(item, 'customTokenName');
        className = own(item, 'customOperationClassName');
      } else {
        fail(p, 'must be a "NAME|class" string or a {"customTokenName", "customOperationClassName"} object.');
      }
      if (typeof amName !== 'string' || amName.trim() === '') fail(p, 'needs a custom token name.');
      if (typeof className !== 'string' || className.trim() === '') fail(p, 'needs a class name.');
      if (seen.has(amName)) fail(p, `names ${amName} a second time; one ${list === 'custom-token-validators' ? 'validator' : 'provider'} per custom token name.`);
      seen.add(amName);
      return { amName, className: className.trim(), path: p };
    });
  }

  resolveCustom(op: { amName: string; className: string; path: string }, side: 'validator' | 'provider'): string {
    const kinds = this.catalog.customKinds.filter((k) => k[side]);
    const hit = kinds.find((k) => k[side]!.amClassNames.includes(op.className)) ?? kinds.find((k) => k.name === op.amName);
    if (hit) return hit.name;
    const loaded = kinds.map((k) => (k[side]!.amClassNames.length ? `${k.name} (${k[side]!.amClassNames.join(', ')})` : k.name));
    fail(
      op.path,
      `no loaded custom token ${side} stands in for ${op.className}: none lists it in amClassNames, and none has the token type ${op.amName}; ` +
        (loaded.length ? `loaded ${side}s: ${loaded.join('; ')}.` : `no custom token ${side} is loaded (TESSERA_PLUGIN_DIR, docs/plugins.md).`),
    );
  }

  transforms(v: unknown, list: 'supported-token-transforms' | 'custom-token-transforms'): Array<{ input: string; output: string; invalidate: boolean; path: string }> {
    const path = `instance_state.${list}`;
    if (unset(v)) return [];
    if (!Array.isArray(v)) fail(path, 'must be a list of "IN|OUT|invalidate" strings or {"inputTokenType", "outputTokenType", "invalidateInterimOpenAMSession"} objects.');
    return v.map((item, i) => {
      const p = `${path}[${i}]`;
      let input: unknown;
      let output: unknown;
      let invalidate: unknown;
      if (typeof item === 'string') {
        // TokenTransformConfig.fromSMSString: exactly three pipe-separated tokens.
        const parts = item.split('|');
        if (parts.length !== 3) fail(p, `${JSON.stringify(item.slice(0, 80))} must be "INPUT|OUTPUT|true" or "INPUT|OUTPUT|false".`);
        [input, output, invalidate] = parts;
      } else if (isObj(item)) {
        input = own(item, 'inputTokenType');
        output = own(item, 'outputTokenType');
        invalidate = own(item, 'invalidateInterimOpenAMSession');
      } else {
        fail(p, 'must be an "IN|OUT|invalidate" string or an {"inputTokenType", "outputTokenType", "invalidateInterimOpenAMSession"} object.');
      }
      if (typeof input !== 'string' || input.trim() === '') fail(p, 'needs an input token type.');
      if (typeof output !== 'string' || output.trim() === '') fail(p, 'needs an output token type.');
      return { input: input.trim(), output: output.trim(), invalidate: amBoolean(invalidate, p) ?? false, path: p };
    });
  }
}

/**
 * An AM publish body (`{"invocation_context", "instance_state"}`) → InstanceInput. `address`: on update, the
 * realm of the URL, which the body must repeat (AM's PUT addresses `<realm>/<element>`; it never moves one).
 * Throws BadUserInputError naming AM's field.
 */
export function fromAm(body: unknown, catalog: AmCatalog, address: { realm?: string } = {}): FromAmResult {
  if (!isObj(body)) fail('body', 'must be a JSON object: {"invocation_context": "invocation_context_client_sdk", "instance_state": {…}}.');
  const context = own(body, 'invocation_context');
  if (context !== CLIENT_SDK) {
    // RestSTSPublishServiceRequestHandler: anything but the two contexts is 400; the console's flat SMS map is
    // the other, which Tessera does not take.
    fail(
      'invocation_context',
      context === VIEW_BEAN
        ? `${VIEW_BEAN} (the AM console's flat attribute map) is not supported; send the client SDK form, "${CLIENT_SDK}", with instance_state as RestSTSInstanceConfig.toJson() writes it.`
        : `must be "${CLIENT_SDK}".`,
    );
  }
  const state = section(own(body, 'instance_state'), 'instance_state');
  if (!state) fail('instance_state', 'is required.');
  const r = new Reader(catalog);
  for (const key of Object.keys(body)) if (key !== 'invocation_context' && key !== 'instance_state') r.ignore(key, body[key]);

  const input: Json = {};
  // deployment-config: the name and the realm (AM's _id is their normalised join).
  const deployment = section(own(state, DEPLOYMENT), `instance_state.${DEPLOYMENT}`);
  if (!deployment) fail(`instance_state.${DEPLOYMENT}`, 'is required: it holds deployment-url-element, the instance name.');
  const dp = `instance_state.${DEPLOYMENT}`;
  const element = amString(own(deployment, 'deployment-url-element'), `${dp}.deployment-url-element`);
  if (element === undefined) fail(`${dp}.deployment-url-element`, 'is required: it is the instance name (its URL element).');
  input.name = element;
  r.origins.set('input.name', `${dp}.deployment-url-element`);
  const realmValue = own(deployment, 'deployment-realm');
  r.origins.set('input.realm', `${dp}.deployment-realm`);
  if (!unset(realmValue)) input.realm = realmValue;
  if (address.realm !== undefined && realmName(parseRealm(unset(realmValue) ? undefined : realmValue, `${dp}.deployment-realm`)) !== address.realm) {
    fail(`${dp}.deployment-realm`, `must be the realm of the URL (${address.realm}); an update does not move an instance to another realm.`);
  }
  const offloadHeader = own(deployment, OFFLOAD_HEADER);
  const offloadHosts = own(deployment, OFFLOAD_HOSTS);
  for (const [key, value] of Object.entries(deployment)) {
    if (['deployment-url-element', 'deployment-realm', OFFLOAD_HEADER, OFFLOAD_HOSTS].includes(key)) continue;
    // deployment-auth-target-mappings: AM authenticates each input through its modules; Tessera validates itself.
    r.ignore(`${dp}.${key}`, value);
  }

  // persist-issued-tokens-in-cts: the builder's default is true, as Tessera's.
  const persist = amBoolean(own(state, 'persist-issued-tokens-in-cts'), 'instance_state.persist-issued-tokens-in-cts');
  if (persist !== undefined) input.persistIssuedTokens = persist;
  r.origins.set('input.persistIssuedTokens', 'instance_state.persist-issued-tokens-in-cts');

  // Transforms: built-in pairs, then custom ones whose names the custom validators and providers define.
  const validators = r.customOperations(own(state, 'custom-token-validators'), 'custom-token-validators');
  const providers = r.customOperations(own(state, 'custom-token-providers'), 'custom-token-providers');
  const supported = r.transforms(own(state, 'supported-token-transforms'), 'supported-token-transforms');
  const custom = r.transforms(own(state, 'custom-token-transforms'), 'custom-token-transforms');
  const used = { validator: new Set<string>(), provider: new Set<string>() };
  const resolved = { validator: new Map<string, string>(), provider: new Map<string, string>() };
  const side = (amName: string, which: 'validator' | 'provider'): { type: string; custom?: string } => {
    const ops = which === 'validator' ? validators : providers;
    const op = ops.find((o) => o.amName === amName);
    if (!op) return { type: AM_TO_TESSERA_TYPE[amName] ?? amName };
    let kind = resolved[which].get(amName);
    if (kind === undefined) {
      kind = r.resolveCustom(op, which);
      resolved[which].set(amName, kind);
      if (kind !== amName) r.customTypes[amName] = kind;
    }
    used[which].add(amName);
    return { type: 'CUSTOM', custom: kind };
  };
  const transforms: Json[] = [];
  for (const t of supported) {
    r.origins.set(`input.transforms[${transforms.length}]`, t.path, 'absorb');
    transforms.push({ input: AM_TO_TESSERA_TYPE[t.input] ?? t.input, output: AM_TO_TESSERA_TYPE[t.output] ?? t.output, invalidateInterimSession: t.invalidate });
  }
  for (const t of custom) {
    const index = transforms.length;
    r.origins.set(`input.transforms[${index}]`, t.path, 'absorb');
    // RestSTSInstanceConfig: a custom transform is realised by a custom validator (its input) or provider (its output).
    if (!validators.some((o) => o.amName === t.input) && !providers.some((o) => o.amName === t.output)) {
      fail(t.path, `uses neither a custom-token-validators name as input nor a custom-token-providers name as output (${t.input} → ${t.output}); built-in pairs go in supported-token-transforms.`);
    }
    const inSide = side(t.input, 'validator');
    const outSide = side(t.output, 'provider');
    const out: Json = { input: inSide.type, output: outSide.type, invalidateInterimSession: t.invalidate };
    if (inSide.custom) out.customInput = inSide.custom;
    if (outSide.custom) out.customOutput = outSide.custom;
    transforms.push(out);
  }
  input.transforms = transforms;
  r.origins.set('input.transforms', supported.length > 0 || custom.length === 0 ? 'instance_state.supported-token-transforms' : 'instance_state.custom-token-transforms');
  // A declared validator or provider no transform uses serves nothing, in AM as here.
  for (const op of validators) if (!used.validator.has(op.amName)) r.ignored.push(op.path);
  for (const op of providers) if (!used.provider.has(op.amName)) r.ignored.push(op.path);

  const saml2 = section(own(state, 'saml2-config'), 'instance_state.saml2-config');
  if (saml2) input.saml2 = r.saml2(saml2);
  else r.origins.set('input.saml2', 'instance_state.saml2-config');
  const oidc = section(own(state, 'oidc-id-token-config'), 'instance_state.oidc-id-token-config');
  if (oidc) input.oidc = r.oidc(oidc);
  else r.origins.set('input.oidc', 'instance_state.oidc-id-token-config');

  // Extension fields: every Tessera field AM has no place for.
  const extensionKeys = ['callerRoles', ...catalog.sectionKeys.filter((k) => !AM_OWNED.includes(k))];
  for (const key of extensionKeys) r.origins.set(`input.${key}`, `instance_state.${EXTENSION_PREFIX}${kebab(key)}`);
  const known = ['persist-issued-tokens-in-cts', 'supported-token-transforms', 'custom-token-validators', 'custom-token-providers', 'custom-token-transforms', DEPLOYMENT, 'saml2-config', 'oidc-id-token-config'];
  for (const [key, value] of Object.entries(state)) {
    if (known.includes(key)) continue;
    if (!key.startsWith(EXTENSION_PREFIX)) {
      r.ignore(`instance_state.${key}`, value);
      continue;
    }
    const tessera = camel(key.slice(EXTENSION_PREFIX.length));
    if (!extensionKeys.includes(tessera)) {
      fail(`instance_state.${key}`, `is not a Tessera extension field; those are ${extensionKeys.map((k) => EXTENSION_PREFIX + kebab(k)).join(', ')}.`);
    }
    if (value !== null && value !== undefined) input[tessera] = value;
  }

  // AM keeps the TLS offload settings in deployment-config; Tessera keeps them with the X.509 trust they serve.
  const trust = input.x509Trust;
  if (isObj(trust)) {
    const merged: Json = { ...trust };
    const x = `instance_state.${EXTENSION_PREFIX}x509-trust`;
    const header = amString(offloadHeader, `${dp}.${OFFLOAD_HEADER}`);
    const hosts = amStringList(offloadHosts, `${dp}.${OFFLOAD_HOSTS}`);
    if (header !== undefined) {
      if (own(trust, 'offloadHeader') !== undefined && own(trust, 'offloadHeader') !== header) {
        fail(`${dp}.${OFFLOAD_HEADER}`, `differs from ${x}.offloadHeader; give one, or make them agree.`);
      }
      merged.offloadHeader = header;
      r.origins.set('input.x509Trust.offloadHeader', `${dp}.${OFFLOAD_HEADER}`);
    }
    if (hosts !== undefined) {
      // DeploymentConfig: "any" among the hosts trusts every address.
      const proxies = hosts.some((h) => h.trim().toLowerCase() === 'any') ? ['0.0.0.0/0', '::/0'] : hosts;
      const given = own(trust, 'trustedProxies');
      if (given !== undefined && JSON.stringify(given) !== JSON.stringify(proxies)) {
        fail(`${dp}.${OFFLOAD_HOSTS}`, `differs from ${x}.trustedProxies; give one, or make them agree.`);
      }
      merged.trustedProxies = proxies;
      r.origins.set('input.x509Trust.trustedProxies', `${dp}.${OFFLOAD_HOSTS}`, 'absorb');
    }
    input.x509Trust = merged;
  } else {
    // Without X.509 trust there is no X509 input for the offload settings to serve.
    r.ignore(`${dp}.${OFFLOAD_HEADER}`, offloadHeader);
    r.ignore(`${dp}.${OFFLOAD_HOSTS}`, offloadHosts);
  }
  return { input, ignored: r.ignored, customTypes: r.customTypes, origins: r.origins };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors of the publish service, renamed after AM's fields
// ---------------------------------------------------------------------------------------------------------------
/** Where Tessera needs what AM keeps outside instance_state: what to give instead. */
const HINTS: Readonly<Record<string, string>> = {
  'instance_state.tessera-oidc-trust':
    'PingAM keeps this trust in its OpenID Connect id_token bearer module; list the issuers here, shaped like GraphQL OidcTrustInput: [{"issuer": "…", "audience": ["…"], "jwksUri": "…"}] (or "jwks", or "clientSecret").',
  'instance_state.tessera-x509-trust':
    'PingAM keeps this trust in its Certificate module; give {"caCertificates": ["<PEM CA certificate>"]}, shaped like GraphQL X509TrustInput (the offload header and hosts of deployment-config apply with it).',
  'instance_state.saml2-config.tessera-sp-encryption-certificate':
    "PingAM reads the SP's certificate from its keystore (saml2-encryption-key-alias); give Tessera the SP's PEM certificate here, or its metadata as tessera-sp-metadata-xml.",
};

/** Tessera's camelCase field names as they appear in messages of a section, with their AM names. */
function wordsOf(field: string): Array<[string, string]> {
  const table = field.startsWith('input.saml2') ? SAML2_FIELDS : field.startsWith('input.oidc.') || field === 'input.oidc' ? OIDC_FIELDS : [];
  return table.filter((f) => /[A-Z]/.test(f.tessera)).map((f) => [f.tessera, f.am]);
}

/**
 * A publish-service error for an AM body: BAD_USER_INPUT named after the AM field the problem came from (and
 * Tessera paths in its message renamed too), with a hint where AM keeps the value elsewhere. Other errors pass.
 */
export function toAmError(err: unknown, origins: FieldOrigins): unknown {
  if (!(err instanceof TesseraError) || err.code !== 'BAD_USER_INPUT' || err.field === undefined) return err;
  const field = origins.translate(err.field);
  let message = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
  message = message.replace(/\binput(?:\.[A-Za-z0-9_]+|\[\d+\])+/g, (m) => origins.translate(m));
  for (const [tessera, am] of wordsOf(err.field)) message = message.replace(new RegExp(`\\b${tessera}\\b`, 'g'), am);
  const hint = HINTS[field];
  return new BadUserInputError(hint ? `${message} ${hint}` : message, field);
}

// ---------------------------------------------------------------------------------------------------------------
// Tessera → AM (reads)
// ---------------------------------------------------------------------------------------------------------------
function amText(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function put(out: Json, key: string, v: unknown): void {
  if (v !== undefined && v !== null) out[key] = v;
}

/** The class name that selects a plugin again on a later publish: the first it stands in for, else its name. */
function classOf(names: readonly string[] | undefined, name: string): string {
  return names?.[0] ?? name;
}

function saml2ToAm(s: Json, catalog: AmCatalog): Json {
  const out: Json = {};
  for (const f of SAML2_FIELDS) {
    const v = own(s, f.tessera);
    put(out, f.am, f.codec === 'boolean' || f.codec === 'integer' ? amText(v) : v);
  }
  const plugins = isObj(own(s, 'plugins')) ? (own(s, 'plugins') as Json) : {};
  for (const f of SAML2_PLUGIN_FIELDS) {
    const name = f.mapper ? undefined : own(plugins, f.statement);
    const plugin = typeof name === 'string' ? catalog.samlPlugins.find((p) => p.name === name) : undefined;
    out[f.am] = typeof name === 'string' ? classOf(plugin?.amClassNames, name) : null;
  }
  const mapped = new Set([...SAML2_FIELDS.map((f) => f.tessera), 'plugins']);
  for (const [key, value] of Object.entries(s)) if (!mapped.has(key)) put(out, EXTENSION_PREFIX + kebab(key), value);
  return out;
}

function oidcToAm(o: Json): Json {
  const out: Json = {};
  for (const f of OIDC_FIELDS) {
    const v = own(o, f.tessera);
    put(out, f.am, f.codec === 'integer' ? amText(v) : v);
  }
  // Secrets are never read back; the flag tells only that one is set (GraphQL shows it as hasClientSecret).
  const mapped = new Set([...OIDC_FIELDS.map((f) => f.tessera), 'hasClientSecret']);
  for (const [key, value] of Object.entries(o)) if (!mapped.has(key)) put(out, EXTENSION_PREFIX + kebab(key), value);
  return out;
}

/**
 * An instance's public view (engine/instance-config.ts toPublicInstance: no secrets) → AM's `instance_state`, as
 * RestSTSInstanceConfig.toJson() writes it: booleans and numbers as strings, SESSION as OPENAM, custom transforms
 * with the custom validators and providers that define their names, and Tessera's other fields as extensions.
 */
export function toAm(view: Json, catalog: AmCatalog): Json {
  const state: Json = {};
  const deployment: Json = {
    'deployment-url-element': view.name,
    'deployment-realm': typeof view.realm === 'string' ? view.realm : '/',
    // Required by AM's DeploymentConfig; Tessera authenticates without AM's modules, so there are none.
    'deployment-auth-target-mappings': {},
  };
  const x509 = isObj(view.x509Trust) ? (view.x509Trust as Json) : undefined;
  if (x509) {
    put(deployment, OFFLOAD_HEADER, own(x509, 'offloadHeader'));
    put(deployment, OFFLOAD_HOSTS, own(x509, 'trustedProxies'));
  }
  state[DEPLOYMENT] = deployment;
  state['persist-issued-tokens-in-cts'] = String(view.persistIssuedTokens !== false);

  const supported: Json[] = [];
  const customTransforms: Json[] = [];
  const validators = new Map<string, Json>();
  const providers = new Map<string, Json>();
  const kindOf = (name: string) => catalog.customKinds.find((k) => k.name === name);
  for (const t of Array.isArray(view.transforms) ? (view.transforms as Json[]) : []) {
    const input = t.input === 'CUSTOM' ? String(t.customInput) : (TESSERA_TO_AM_TYPE[String(t.input)] ?? String(t.input));
    const output = t.output === 'CUSTOM' ? String(t.customOutput) : (TESSERA_TO_AM_TYPE[String(t.output)] ?? String(t.output));
    const entry = { inputTokenType: input, outputTokenType: output, invalidateInterimOpenAMSession: t.invalidateInterimSession === true };
    if (t.input === 'CUSTOM') validators.set(input, { customTokenName: input, customOperationClassName: classOf(kindOf(input)?.validator?.amClassNames, input) });
    if (t.output === 'CUSTOM') providers.set(output, { customTokenName: output, customOperationClassName: classOf(kindOf(output)?.provider?.amClassNames, output) });
    (t.input === 'CUSTOM' || t.output === 'CUSTOM' ? customTransforms : supported).push(entry);
  }
  if (supported.length) state['supported-token-transforms'] = supported;
  if (validators.size) state['custom-token-validators'] = [...validators.values()];
  if (providers.size) state['custom-token-providers'] = [...providers.values()];
  if (customTransforms.length) state['custom-token-transforms'] = customTransforms;

  if (isObj(view.saml2)) state['saml2-config'] = saml2ToAm(view.saml2 as Json, catalog);
  if (isObj(view.oidc)) state['oidc-id-token-config'] = oidcToAm(view.oidc as Json);
  if (Array.isArray(view.callerRoles)) state[`${EXTENSION_PREFIX}caller-roles`] = view.callerRoles;
  for (const key of catalog.sectionKeys) {
    if (AM_OWNED.includes(key) || view[key] === undefined || view[key] === null) continue;
    let value = view[key];
    if (key === 'oidcTrust' && Array.isArray(value)) value = value.map((t) => (isObj(t) ? Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'hasClientSecret')) : t));
    if (key === 'x509Trust' && isObj(value)) value = { caCertificates: value.caCertificates };
    state[EXTENSION_PREFIX + kebab(key)] = value;
  }
  return state;
}

/** AM's instance id: the realm path and the URL element, normalised (`fred/bobo/x`, or `x` in the root realm). */
export function amInstanceId(name: string, realm: string | undefined): string {
  return realm === undefined || realm === '/' ? name : `${realm.slice(1)}/${name}`;
}
