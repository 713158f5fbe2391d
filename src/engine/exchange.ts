/**
 * Token exchange policy (RFC 8693, API.md §7): the instance section `tokenExchange` — the audiences, resources
 * and scopes an instance issues for, and whether and how far it lets an actor act for a subject — and the
 * checks the engine and the providers make with it, whatever door the request came through.
 */
import { absent, fail, get, object, onlyKeys, optionalBoolean, stringList } from './config-toolkit.js';
import { BadUserInputError, InvalidTokenError } from './errors.js';
import type { ConfigSection, FieldSpec } from './kind.js';
import type { RegistryExtension, TokenRegistry } from './registry.js';
import { CUSTOM, type Actor, type InstanceConfig, type Obj, type VerifiedSubject } from './types.js';

export interface DelegationConfig {
  allowed: boolean;
  requireMayAct: boolean;
  maxChainDepth: number;
}

export interface TokenExchangeConfig {
  audiences?: string[];
  resources?: string[];
  scopes?: string[];
  delegation: DelegationConfig;
}

export const DEFAULT_MAX_CHAIN_DEPTH = 3;
const MAX_CHAIN_DEPTH_LIMIT = 10;

export const exchangeOf = (c: InstanceConfig): TokenExchangeConfig | undefined => c.tokenExchange as TokenExchangeConfig | undefined;

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
export function isResourceIndicator(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol.length > 1 && u.hash === '' && !v.includes('#');
  } catch {
    return false;
  }
}

function parse(raw: unknown): TokenExchangeConfig {
  const field = 'input.tokenExchange';
  const o = object(raw, field);
  onlyKeys(o, ['audiences', 'resources', 'scopes', 'delegation'], field);
  const out: TokenExchangeConfig = { delegation: { allowed: false, requireMayAct: false, maxChainDepth: DEFAULT_MAX_CHAIN_DEPTH } };
  for (const key of ['audiences', 'resources', 'scopes'] as const) {
    const v = get(o, key);
    if (absent(v)) continue;
    const list = stringList(v, `${field}.${key}`);
    list.forEach((item, i) => {
      if (key === 'resources' && !isResourceIndicator(item)) fail(`${field}.resources[${i}]`, 'must be an absolute URI without a fragment (RFC 8707 §2).');
      // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
      if (key === 'scopes' && !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(item)) fail(`${field}.scopes[${i}]`, 'must be a scope token (RFC 6749 §3.3): printable ASCII without spaces, quotes or backslashes.');
    });
    out[key] = [...new Set(list)];
  }
  const d = get(o, 'delegation');
  if (!absent(d)) {
    const f = `${field}.delegation`;
    const del = object(d, f);
    onlyKeys(del, ['allowed', 'requireMayAct', 'maxChainDepth'], f);
    out.delegation.allowed = optionalBoolean(del, 'allowed', `${f}.allowed`, false);
    out.delegation.requireMayAct = optionalBoolean(del, 'requireMayAct', `${f}.requireMayAct`, false);
    const depth = get(del, 'maxChainDepth');
    if (!absent(depth)) {
      if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1 || depth > MAX_CHAIN_DEPTH_LIMIT) {
        fail(`${f}.maxChainDepth`, `must be an integer from 1 to ${MAX_CHAIN_DEPTH_LIMIT}.`);
      }
      out.delegation.maxChainDepth = depth;
    }
  }
  return out;
}

export const tokenExchangeSection: ConfigSection<TokenExchangeConfig> = {
  key: 'tokenExchange',
  parse,
  graphql: {
    description: 'RFC 8693 token exchange: what the instance issues for, and delegation.',
    input: {
      object: 'TokenExchangeInput',
      description: 'The audiences, resources and scopes this instance issues tokens for, and delegation.',
      fields: {
        audiences: { type: { list: 'String' }, description: 'Logical audience names a client may request (RFC 8693 audience); POST /token picks the instance by them.' },
        resources: { type: { list: 'String' }, description: 'Resource indicators a client may request (RFC 8707: absolute URIs without a fragment).' },
        scopes: { type: { list: 'String' }, description: 'Scopes an access token may carry; a request for others is invalid_scope.' },
        delegation: {
          type: {
            object: 'DelegationInput',
            description: 'Whether an actor token may come with the subject token (RFC 8693 §1.1).',
            fields: {
              allowed: { type: 'Boolean', description: 'Accept actor_token. Default false: an actor token is invalid_request.' },
              requireMayAct: { type: 'Boolean', description: 'Require the subject token to name the actor in may_act (RFC 8693 §4.4). Default false.' },
              maxChainDepth: { type: 'Int', description: 'The most act levels an issued token may carry (1..10). Default 3.' },
            },
          },
          description: 'Delegation rules.',
        },
      },
    },
    output: {
      object: 'TokenExchange',
      description: 'The token exchange policy of an instance.',
      fields: {
        audiences: { type: { list: 'String' }, description: 'Logical audience names a client may request.' },
        resources: { type: { list: 'String' }, description: 'Resource indicators a client may request.' },
        scopes: { type: { list: 'String' }, description: 'Scopes an access token may carry.' },
        delegation: {
          type: {
            object: 'Delegation',
            description: 'Delegation rules.',
            fields: {
              allowed: { type: 'Boolean', required: true, description: 'Whether actor_token is accepted.' },
              requireMayAct: { type: 'Boolean', required: true, description: 'Whether the subject token must name the actor in may_act.' },
              maxChainDepth: { type: 'Int', required: true, description: 'The most act levels an issued token may carry.' },
            },
          },
          required: true,
          description: 'Delegation rules.',
        },
      },
    },
  },
};

/**
 * The output field every audience-bearing kind shares (ACCESS_TOKEN, OPENIDCONNECT, SAML2): GraphQL
 * `TokenOutput.audience`, REST `output_token_state.audience`, and what the token endpoint fills from its
 * `audience` and `resource` parameters.
 */
export const AUDIENCE_FIELD: FieldSpec = {
  key: 'audience',
  rule: 'textList',
  max: 16,
  rest: 'audience',
  oauth: 'audience',
  graphql: {
    name: 'audience',
    type: { list: 'String' },
    description:
      "ACCESS_TOKEN, OPENIDCONNECT, SAML2: the audiences to issue for, each one the instance allows (its tokenExchange audiences and resources, or the output's own configured audience); default the output's configured audience.",
  },
};

/** REST `output_token_state.audience`: one string or a list. */
export function audienceFromRest(state: Obj): Obj {
  if (!Object.prototype.hasOwnProperty.call(state, 'audience')) return {};
  const a = state.audience;
  if (a === undefined || a === null) return {};
  return { audience: Array.isArray(a) ? a : [a] };
}

/**
 * The audiences an output may name for this request: what was asked (each allowed by the instance — never any
 * audience a client makes up, the Keycloak CVE-2022-1245 class) or, when nothing was asked, `fallback`.
 * `alsoAllowed` is what the output kind's own configuration already names.
 */
export function requestedAudiences(config: InstanceConfig, requested: readonly string[] | undefined, alsoAllowed: readonly string[], fallback: readonly string[]): string[] {
  if (!requested || requested.length === 0) return [...fallback];
  const ex = exchangeOf(config);
  const allowed = new Set([...(ex?.audiences ?? []), ...(ex?.resources ?? []), ...alsoAllowed]);
  for (const a of requested) {
    if (!allowed.has(a)) {
      throw new BadUserInputError(`${JSON.stringify(a.slice(0, 128))} is not an audience or resource this instance issues tokens for.`, 'audience', 'invalid_target');
    }
  }
  return [...new Set(requested)];
}

/**
 * RFC 8693 §1.1, §4.1, §4.4: an actor may act for the subject when the instance allows delegation, the subject
 * token's `may_act` (required when `requireMayAct`) names the actor, and the chain stays within
 * `maxChainDepth` levels. Throws BAD_USER_INPUT (invalid_request) when delegation is off, else INVALID_TOKEN
 * (invalid_grant).
 */
export function checkDelegation(config: InstanceConfig, subject: VerifiedSubject, actor: VerifiedSubject, chainDepth: number): void {
  const d = exchangeOf(config)?.delegation;
  if (!d?.allowed) {
    throw new BadUserInputError('this instance does not accept an actor token (tokenExchange.delegation.allowed is off).', 'actor_token');
  }
  const mayAct = subject.mayAct;
  if (!mayAct && d.requireMayAct) throw new InvalidTokenError('The subject token does not name who may act for it (may_act), which this instance requires.');
  if (mayAct) {
    if (mayAct.sub !== undefined && mayAct.sub !== actor.name) throw new InvalidTokenError('The actor is not the one the subject token allows to act for it (may_act.sub).');
    if (mayAct.iss !== undefined && mayAct.iss !== actor.issuer) throw new InvalidTokenError("The actor's issuer is not the one the subject token names (may_act.iss).");
  }
  if (chainDepth > d.maxChainDepth) {
    throw new InvalidTokenError(`The delegation chain would be ${chainDepth} levels deep; this instance allows ${d.maxChainDepth}.`);
  }
}

/**
 * The scope an access token carries: what was asked, each allowed by the instance (`tokenExchange.scopes`) and,
 * for an OAuth client, by the client; nothing asked is nothing granted. RFC 6749 §3.3: space-separated tokens.
 */
export function grantedScope(config: InstanceConfig, requested: string | undefined, clientScopes: readonly string[] | undefined): string | undefined {
  if (requested === undefined || requested.trim() === '') return undefined;
  const asked = [...new Set(requested.split(' ').filter(Boolean))];
  const instanceScopes = exchangeOf(config)?.scopes;
  for (const s of asked) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) throw new BadUserInputError('is not a list of scope tokens (RFC 6749 §3.3).', 'scope', 'invalid_scope');
    if (!instanceScopes?.includes(s)) throw new BadUserInputError(`${JSON.stringify(s.slice(0, 64))} is not a scope this instance issues.`, 'scope', 'invalid_scope');
    if (clientScopes && !clientScopes.includes(s)) throw new BadUserInputError(`${JSON.stringify(s.slice(0, 64))} is not a scope this client may request.`, 'scope', 'invalid_scope');
  }
  return asked.join(' ');
}

/**
 * RFC 8693 §4.1 `act`: the current actor outermost, prior actors nested. With an actor token, the actor is the
 * current one, its own chain (an actor that itself acts for someone) nested under it, then the subject token's
 * chain; without one, the subject token's chain is kept as it was.
 */
export function actClaim(subject: Pick<VerifiedSubject, 'act'>, actor: Pick<VerifiedSubject, 'name' | 'issuer' | 'act'> | undefined): Actor | undefined {
  if (!actor) return subject.act ? structuredClone(subject.act) : undefined;
  const chain: Actor[] = [{ sub: actor.name, ...(actor.issuer ? { iss: actor.issuer } : {}) }];
  for (let a = actor.act; a; a = a.act) chain.push({ sub: a.sub, ...(a.iss ? { iss: a.iss } : {}) });
  for (let a = subject.act; a; a = a.act) chain.push({ sub: a.sub, ...(a.iss ? { iss: a.iss } : {}) });
  let nested: Actor | undefined;
  for (let i = chain.length - 1; i >= 0; i--) nested = { ...chain[i]!, ...(nested ? { act: nested } : {}) };
  return nested;
}

/** How many `act` levels a chain has (RFC 8693 §4.1 nesting). */
export function actDepth(act: Actor | undefined): number {
  let n = 0;
  for (let a = act; a; a = a.act) n++;
  return n;
}

export type { Actor };

/** RFC 8693 §2.1 grant type. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3: a JWT whose `typ` tells which kind it is. */
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/** The token endpoint of an instance (API.md §7). */
export const tokenEndpointOf = (publicUrl: string, instance: string): string => `${publicUrl}/sts/${instance}/token`;

/** The RFC 8693 token-type URIs an instance accepts as subject or actor token: its transforms' inputs. */
export function acceptedTokenTypes(registry: TokenRegistry, config: InstanceConfig): string[] {
  const out = new Set<string>();
  for (const t of config.transforms) {
    const kind = registry.kind(t.input === CUSTOM && t.customInput ? t.customInput : t.input);
    if (!kind?.tokenTypeUri) continue;
    out.add(kind.tokenTypeUri);
    if (kind.jwtTypes?.length) out.add(JWT_TOKEN_TYPE);
  }
  return [...out];
}

/**
 * The token exchange policy as a registry extension: its configuration section, and the members an instance
 * with token exchange adds to its openid-configuration (API.md §7).
 */
export function tokenExchangeExtension(registry: TokenRegistry): RegistryExtension {
  return {
    name: 'TOKEN_EXCHANGE',
    sections: [tokenExchangeSection],
    metadata: {
      async discovery({ instance, publicUrl }) {
        if (!exchangeOf(instance.config)) return null;
        const name = instance.config.name;
        return {
          issuer: `${publicUrl}/sts/${name}`,
          token_endpoint: tokenEndpointOf(publicUrl, name),
          jwks_uri: `${publicUrl}/sts/${name}/jwks.json`,
          grant_types_supported: [TOKEN_EXCHANGE_GRANT],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
          token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'EdDSA'],
          token_types_supported: acceptedTokenTypes(registry, instance.config),
          ...(exchangeOf(instance.config)?.scopes?.length ? { scopes_supported: [...exchangeOf(instance.config)!.scopes!] } : {}),
        };
      },
    },
  };
}
