/**
 * ACCESS_TOKEN input: an RFC 9068 JWT access token (`typ: at+jwt`) from an issuer in `oidcTrust` whose entry
 * sets `acceptAccessTokens` — checked by the verifier the OPENIDCONNECT validator uses (the issuer's configured
 * keys, the algorithm bound to the key, `iss`, `aud`, `exp`, `nbf`, `iat`), with the delegation claims kept.
 */
import type { KindValidator } from '../../engine/kind.js';
import type { TokenEnvelope, ValidatorContext, VerifiedSubject } from '../../engine/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';
import { actorClaims, claimsToAttributes, type JwtVerifier } from '../oidc/oidc.validator.js';

export function createAccessTokenValidator(deps: { verifier: JwtVerifier }): KindValidator {
  return {
    fields: [
      {
        key: 'accessToken',
        rule: 'token',
        required: true,
        rest: 'access_token',
        oauth: 'subject_token',
        graphql: { name: 'accessToken', type: 'String', description: 'ACCESS_TOKEN: a JWT access token (typ at+jwt) from an issuer in oidcTrust that accepts access tokens.' },
      },
    ],
    needs: ['oidcTrust'],
    async validate(input: TokenEnvelope, ctx: ValidatorContext): Promise<VerifiedSubject> {
      const { payload, trust } = await deps.verifier.verify(input.accessToken as string, ctx, 'access_token');
      const authTime = payload.auth_time;
      return {
        name: payload.sub as string,
        attributes: claimsToAttributes(payload),
        inputType: 'ACCESS_TOKEN',
        authn: {
          instant: new Date((typeof authTime === 'number' ? authTime : (payload.iat as number)) * 1000),
          // As for an ID token: the upstream method is not carried over (acr and amr are registered claims).
          assumedContextClass: AUTHN_CONTEXT_CLASS.passwordProtectedTransport,
        },
        issuer: trust.issuer,
        ...actorClaims(payload),
      };
    },
  };
}
