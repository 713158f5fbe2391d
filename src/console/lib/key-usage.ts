/**
 * Which instances sign with which key, worked out as the server does it: a pinned `signingKeyId`, else the
 * newest ACTIVE key of the JWS algorithm the instance's signature algorithm needs (the key store creates one on
 * first use when there is none). Every signing section counts: ID tokens (oidc), JWT access tokens
 * (accessToken, which the token exchange endpoint issues too) and SAML (saml2: assertions, the samlp:Response
 * envelope and the IdP metadata document, all with the SAML key).
 */
import type { Key, StsInstance } from './types';

const XMLDSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';
export const SAML_TO_JWS: Record<string, string> = {
  [`${XMLDSIG_MORE}rsa-sha256`]: 'RS256',
  [`${XMLDSIG_MORE}rsa-sha512`]: 'RS512',
  [`${XMLDSIG_MORE}ecdsa-sha256`]: 'ES256',
};

export interface KeyUse {
  instance: string;
  /** What signs with it: OIDC ID tokens, JWT access tokens or SAML. */
  what: 'OIDC' | 'ACCESS_TOKEN' | 'SAML2';
  /** SAML: which documents it signs (assertions, Responses, metadata). */
  signs?: string[];
  pinned: boolean;
}

/** The newest ACTIVE key of each algorithm. */
export function activeKeys(keys: Key[]): Map<string, Key> {
  const out = new Map<string, Key>();
  for (const k of keys) {
    if (k.status !== 'ACTIVE') continue;
    const cur = out.get(k.algorithm);
    if (!cur || Date.parse(k.createdAt) > Date.parse(cur.createdAt)) out.set(k.algorithm, k);
  }
  return out;
}

export function keyUsage(keys: Key[], instances: StsInstance[]): Map<string, KeyUse[]> {
  const active = activeKeys(keys);
  const uses = new Map<string, KeyUse[]>();
  const add = (kid: string | undefined, use: KeyUse) => {
    if (!kid) return;
    const list = uses.get(kid) ?? [];
    list.push(use);
    uses.set(kid, list);
  };
  for (const i of instances) {
    // HS256 signs with the instance's client secret, not a key from the store.
    if (i.oidc && i.oidc.signatureAlgorithm !== 'HS256') {
      const kid = i.oidc.signingKeyId ?? active.get(i.oidc.signatureAlgorithm)?.kid;
      add(kid, { instance: i.name, what: 'OIDC', pinned: !!i.oidc.signingKeyId });
    }
    if (i.accessToken) {
      const kid = i.accessToken.signingKeyId ?? active.get(i.accessToken.signatureAlgorithm)?.kid;
      add(kid, { instance: i.name, what: 'ACCESS_TOKEN', pinned: !!i.accessToken.signingKeyId });
    }
    if (i.saml2) {
      const signs = [
        ...(i.saml2.signAssertion ? ['assertions'] : []),
        ...(i.saml2.envelope?.signResponse ? ['Responses'] : []),
        ...(i.saml2.metadata?.sign ? ['metadata'] : []),
      ];
      if (signs.length > 0) {
        const alg = SAML_TO_JWS[i.saml2.signatureAlgorithm];
        const kid = i.saml2.signingKeyId ?? (alg ? active.get(alg)?.kid : undefined);
        add(kid, { instance: i.name, what: 'SAML2', signs, pinned: !!i.saml2.signingKeyId });
      }
    }
  }
  return uses;
}

/** What a use signs, for people: "OIDC", "access tokens", "SAML2" (or "SAML2: Responses, metadata"). */
export function useLabel(u: KeyUse): string {
  const what = u.what === 'ACCESS_TOKEN' ? 'access tokens' : u.what;
  const signs = u.signs && u.signs.join(', ') !== 'assertions' ? `: ${u.signs.join(', ')}` : '';
  return `${what}${signs}${u.pinned ? ', pinned' : ''}`;
}

/** One entry per instance, with everything it signs with the key. */
export function byInstance(uses: KeyUse[]): Array<{ instance: string; labels: string[]; pinned: boolean }> {
  const out = new Map<string, { instance: string; labels: string[]; pinned: boolean }>();
  for (const u of uses) {
    const e = out.get(u.instance) ?? { instance: u.instance, labels: [], pinned: false };
    e.labels.push(useLabel(u));
    e.pinned ||= u.pinned;
    out.set(u.instance, e);
  }
  return [...out.values()];
}
