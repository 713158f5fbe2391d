/**
 * Issues RFC 9068 JWT access tokens: header `typ: at+jwt` with `kid`; `iss`, `sub`, `aud`, `exp`, `iat`, `jti`,
 * `client_id`, `scope` when granted, `auth_time`, `acr`/`amr` when known, `act` for delegation (RFC 8693 §4.1),
 * and mapped claims. Also checks access tokens this instance issued (validate and cancel).
 */
import { randomUUID } from 'node:crypto';
import { InternalError } from '../../engine/errors.js';
import { AUDIENCE_FIELD, audienceFromRest, exchangeOf, grantedScope, requestedAudiences } from '../../engine/exchange.js';
import type { KindProvider } from '../../engine/kind.js';
import type { IssuedToken, KeyProvider, Obj, ProviderContext, PublishedInstance, TokenEnvelope, VerifiedSubject } from '../../engine/types.js';
import { defaultIssuer } from '../oidc/oidc.config.js';
import { authnContextClaims } from '../oidc/oidc.provider.js';
import { actClaim, mappedClaims, toSeconds, verifyIssuedJwt } from '../oidc/issued-jwt.js';
import { signJwsAsync } from '../oidc/jws.js';
import { accessTokenOf, type AccessTokenConfig } from './access-token.config.js';

/** RFC 9068 §2.1: the media type's short form. */
export const AT_JWT = 'at+jwt';

function configOf(instance: PublishedInstance): AccessTokenConfig {
  const c = accessTokenOf(instance.config);
  // Publish requires `accessToken` whenever a transform outputs ACCESS_TOKEN: its absence is a server fault.
  if (!c) throw new InternalError(`instance ${instance.config.name} outputs ACCESS_TOKEN without an accessToken configuration`);
  return c;
}

/** The audiences an issued token may name: its own default, and what token exchange allows. */
function allowedAudiences(instance: PublishedInstance, config: AccessTokenConfig): Set<string> {
  const ex = exchangeOf(instance.config);
  return new Set([...config.audience, ...(ex?.audiences ?? []), ...(ex?.resources ?? [])]);
}

/** REST `output_token_state`: `audience` one string or a list, `scope` space-separated. */
function fromRest(state: Obj): Obj {
  const out: Obj = audienceFromRest(state);
  if (Object.prototype.hasOwnProperty.call(state, 'scope') && state.scope !== undefined) out.scope = state.scope;
  return out;
}

export function createAccessTokenProvider(deps: { keys: KeyProvider; publicUrl: string }): KindProvider {
  const issuerOf = (instance: PublishedInstance, config: AccessTokenConfig) => config.issuer ?? defaultIssuer(deps.publicUrl, instance.config.name);

  async function issue(subject: VerifiedSubject, output: TokenEnvelope, ctx: ProviderContext): Promise<IssuedToken> {
    const config = configOf(ctx.instance);
    const caller = ctx.request.caller;
    const aud = requestedAudiences(ctx.instance.config, output.audience as string[] | undefined, config.audience, config.audience);
    const scope = grantedScope(ctx.instance.config, output.scope as string | undefined, caller?.scopes);
    const iat = toSeconds(ctx.now);
    const exp = iat + config.lifetimeSeconds;
    const jti = randomUUID();
    const payload: Record<string, unknown> = {
      iss: issuerOf(ctx.instance, config),
      sub: subject.name,
      aud: aud.length === 1 ? aud[0] : aud,
      exp,
      iat,
      jti,
      // RFC 9068 §2.2: the client the token was issued to — the OAuth client at the token endpoint, otherwise the
      // authenticated caller, otherwise the instance itself (the STS is then the client of its own token).
      client_id: caller?.clientId ?? caller?.username ?? ctx.instance.config.name,
      auth_time: toSeconds(subject.authn.instant),
    };
    if (scope !== undefined) payload.scope = scope;
    const { acr, amr } = authnContextClaims(subject);
    if (acr) payload.acr = acr;
    if (amr) payload.amr = amr;
    const act = actClaim(subject, ctx.actor);
    if (act) payload.act = act;
    for (const [claim, value] of mappedClaims(config.claimMap, subject.attributes)) payload[claim] = value;
    const key = await deps.keys.signingKey(config.signatureAlgorithm, config.signingKeyId);
    // RFC 8725 §3.1: one key, one algorithm.
    if (key.algorithm !== config.signatureAlgorithm) throw new InternalError(`signing key ${key.kid} is bound to ${key.algorithm}, not ${config.signatureAlgorithm}`);
    const token = await signJwsAsync({ alg: config.signatureAlgorithm, typ: AT_JWT, kid: key.kid }, payload, key.privateKey, config.signatureAlgorithm);
    return { token, type: 'ACCESS_TOKEN', tokenId: jti, subject: subject.name, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000), ...(scope !== undefined ? { scope } : {}) };
  }

  return {
    fields: [
      AUDIENCE_FIELD,
      {
        key: 'scope',
        rule: 'text',
        allowEmpty: true,
        rest: 'scope',
        oauth: 'scope',
        graphql: { name: 'scope', type: 'String', description: 'ACCESS_TOKEN: the space-separated scopes (each one the instance allows).' },
      },
    ],
    needs: ['accessToken'],
    issuerOf: (instance) => {
      const config = accessTokenOf(instance.config);
      return config ? issuerOf(instance, config) : undefined;
    },
    restTokenField: 'access_token',
    oauthTokenType: 'Bearer',
    fromRest,
    issue,
    async verifyIssued(token, ctx) {
      const config = accessTokenOf(ctx.instance.config);
      if (!config) return { ok: false, reason: 'UNKNOWN' };
      const allowed = allowedAudiences(ctx.instance, config);
      return verifyIssuedJwt({
        token,
        algorithm: config.signatureAlgorithm,
        keys: deps.keys,
        typ: AT_JWT,
        ours(claims) {
          const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
          return claims.iss === issuerOf(ctx.instance, config) && aud.length > 0 && aud.every((a) => typeof a === 'string' && allowed.has(a));
        },
        now: ctx.now,
        checkExpiry: ctx.checkExpiry,
      });
    },
  };
}
