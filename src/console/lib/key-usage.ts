/**
 * Which instances sign with which key, worked out as the server does it: a pinned `signingKeyId`, else the
 * newest ACTIVE key of the JWS algorithm the instance's signature algorithm needs (the key store creates one on
 * first use when there is none).
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
  /** What signs with it: OIDC ID tokens or SAML assertions. */
  what: 'OIDC' | 'SAML2';
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
    if (i.saml2 && i.saml2.signAssertion) {
      const alg = SAML_TO_JWS[i.saml2.signatureAlgorithm];
      const kid = i.saml2.signingKeyId ?? (alg ? active.get(alg)?.kid : undefined);
      add(kid, { instance: i.name, what: 'SAML2', pinned: !!i.saml2.signingKeyId });
    }
  }
  return uses;
}
