/**
 * Issues OpenID Connect ID tokens (OIDC Core §2) for an instance, and verifies tokens the instance issued
 * (validateToken / cancelToken).
 *
 * Differences from PingAM's STS (AM-STS-NOTES §6), on purpose:
 * - `auth_time` is the original authentication time (VerifiedSubject.authn.instant), not the translate time;
 * - list attributes stay JSON arrays instead of being joined with spaces;
 * - `acr`/`amr` say what the validator observed (VerifiedSubject.authn) instead of being absent;
 * - the header carries `kid` (never an embedded `jwk`), and the keys are published at /sts/<instance>/jwks.json.
 */
import { randomUUID } from 'node:crypto';
import { BadUserInputError, InternalError } from '../../engine/errors.js';
import { AUDIENCE_FIELD, audienceFromRest, exchangeOf, requestedAudiences } from '../../engine/exchange.js';
import type { KindProvider } from '../../engine/kind.js';
import type {
  IssuedToken,
  KeyProvider,
  ProviderContext,
  PublishedInstance,
  TokenEnvelope,
  VerifiedSubject,
  VerifyIssuedResult,
} from '../../engine/types.js';
import { JWS_SIGNING_ALGORITHMS, signJws, signJwsAsync, type JwsSigningAlgorithm } from './jws.js';
import { actClaim, mappedClaims, toSeconds, verifyIssuedJwt } from './issued-jwt.js';
import { defaultIssuer, oidcOf, type OidcConfig } from './oidc.config.js';

export { defaultIssuer };

/** `acr` and `amr` (RFC 8176 §2 values) from what the validator observed; undefined when nothing is known. */
export function authnContextClaims(subject: Pick<VerifiedSubject, 'authn'>): { acr?: string; amr?: string[] } {
  const out: { acr?: string; amr?: string[] } = {};
  if (subject.authn.contextClass) out.acr = subject.authn.contextClass;
  if (subject.authn.methods && subject.authn.methods.length > 0) out.amr = [...subject.authn.methods];
  return out;
}

/** PingAM's OpenIdConnectTokenCreationState: `allow_access: true` is required; an empty nonce is no nonce. */
function oidcFromRest(state: Record<string, unknown>): Record<string, unknown> {
  const allow = Object.prototype.hasOwnProperty.call(state, 'allow_access') ? state.allow_access : undefined;
  // AM: a missing allow_access counts as false; AM's instance JSON carries booleans as strings.
  if (allow !== true && allow !== 'true') {
    throw new BadUserInputError(
      "The OpenIdConnectTokenCreation state must indicate access to the caller's identity with a field of allow_access:true.",
      'output_token_state.allow_access',
    );
  }
  const nonce = Object.prototype.hasOwnProperty.call(state, 'nonce') ? state.nonce : undefined;
  return { ...audienceFromRest(state), ...(nonce === undefined || nonce === null || nonce === '' ? {} : { nonce }) };
}

function oidcConfigOf(instance: PublishedInstance): OidcConfig {
  const config = oidcOf(instance.config);
  // Publish-time validation requires `oidc` whenever a transform outputs OPENIDCONNECT, so its absence here is
  // a server fault, not a client one.
  if (!config) throw new InternalError(`instance ${instance.config.name} has no oidc configuration`);
  if (!(JWS_SIGNING_ALGORITHMS as readonly string[]).includes(config.signatureAlgorithm)) {
    throw new InternalError(`instance ${instance.config.name}: unsupported oidc.signatureAlgorithm`);
  }
  return config;
}

function hmacSecret(config: OidcConfig, instanceName: string): Buffer {
  // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (32 bytes).
  const secret = config.clientSecret === undefined ? undefined : Buffer.from(config.clientSecret, 'utf8');
  if (!secret || secret.length < 32) {
    throw new InternalError(`instance ${instanceName}: HS256 needs an oidc.clientSecret of at least 32 bytes`);
  }
  return secret;
}

export function createOidcProvider(deps: { keys: KeyProvider; publicUrl: string }): KindProvider {
  function issuerOf(instance: PublishedInstance, config: OidcConfig): string {
    return config.issuer ?? defaultIssuer(deps.publicUrl, instance.config.name);
  }

  async function issue(subject: VerifiedSubject, output: TokenEnvelope, ctx: ProviderContext): Promise<IssuedToken> {
    const config = oidcConfigOf(ctx.instance);
    const alg = config.signatureAlgorithm;
    const iat = toSeconds(ctx.now);
    const exp = iat + config.lifetimeSeconds;
    const jti = randomUUID();

    // Registered claims first, in the order OIDC Core §2 lists them.
    const payload: Record<string, unknown> = {
      iss: issuerOf(ctx.instance, config),
      sub: subject.name,
      // Always an array, as PingAM does (AM-STS-NOTES §6), so consumers need one code path.
      aud: requestedAudiences(ctx.instance.config, output.audience as string[] | undefined, config.audience, config.audience),
    };
    if (config.authorizedParty) payload.azp = config.authorizedParty;
    payload.iat = iat;
    payload.exp = exp;
    // OIDC Core §2: auth_time is when the end-user authenticated, i.e. the original login, never this request.
    payload.auth_time = toSeconds(subject.authn.instant);
    if (typeof output.nonce === 'string' && output.nonce.length > 0) payload.nonce = output.nonce;
    payload.jti = jti;
    const { acr, amr } = authnContextClaims(subject);
    if (acr) payload.acr = acr;
    if (amr) payload.amr = amr;
    for (const [claim, value] of mappedClaims(config.claimMap, subject.attributes)) payload[claim] = value;
    // RFC 8693 §4.1: who acts for the subject (an ID token may carry it too, §4.1 is not limited to access tokens).
    const act = actClaim(subject, ctx.actor);
    if (act) payload.act = act;

    let token: string;
    if (alg === 'HS256') {
      // RFC 7515 §4.1.4: kid names a key the recipient can look up; a shared secret has none to publish.
      token = signJws({ alg, typ: 'JWT' }, payload, hmacSecret(config, ctx.instance.config.name), alg);
    } else {
      const key = await deps.keys.signingKey(alg, config.signingKeyId);
      // RFC 8725 §3.1: one key, one algorithm. A key provider handing back another algorithm's key is a bug.
      if (key.algorithm !== alg) {
        throw new InternalError(`signing key ${key.kid} is bound to ${key.algorithm}, not ${alg}`);
      }
      token = await signJwsAsync({ alg, typ: 'JWT', kid: key.kid }, payload, key.privateKey, alg);
    }

    return {
      token,
      type: 'OPENIDCONNECT',
      tokenId: jti,
      subject: subject.name,
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
    };
  }

  async function verifyIssued(
    token: string,
    ctx: { instance: PublishedInstance; now: Date; checkExpiry: boolean },
  ): Promise<VerifyIssuedResult> {
    const config = oidcOf(ctx.instance.config);
    if (!config) return { ok: false, reason: 'UNKNOWN' };
    const secret = config.clientSecret === undefined ? undefined : Buffer.from(config.clientSecret, 'utf8');
    return verifyIssuedJwt({
      token,
      algorithm: config.signatureAlgorithm as JwsSigningAlgorithm,
      secret,
      keys: deps.keys,
      typ: 'JWT',
      ours(claims) {
        const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
        // The configured audience, or audiences token exchange allowed at issue (requestedAudiences).
        const allowed = new Set([...config.audience, ...(exchangeOf(ctx.instance.config)?.audiences ?? []), ...(exchangeOf(ctx.instance.config)?.resources ?? [])]);
        return claims.iss === issuerOf(ctx.instance, config) && aud.length > 0 && aud.every((a) => typeof a === 'string' && allowed.has(a));
      },
      now: ctx.now,
      checkExpiry: ctx.checkExpiry,
    });
  }

  return {
    fields: [
      AUDIENCE_FIELD,
      {
        key: 'nonce',
        rule: 'text',
        allowEmpty: true,
        rest: 'nonce',
        graphql: { name: 'nonce', type: 'String', description: 'OPENIDCONNECT: the `nonce` claim (omitted when empty).' },
      },
    ],
    needs: ['oidc'],
    issuerOf: (instance) => {
      const config = oidcOf(instance.config);
      return config ? issuerOf(instance, config) : undefined;
    },
    restTokenField: 'oidc_id_token',
    oauthTokenType: 'N_A',
    fromRest: oidcFromRest,
    issue,
    verifyIssued,
  };
}
